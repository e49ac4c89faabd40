package view

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// sampleSelf is a tenant's self-service: two keys (one expired), every
// action offered.
func sampleSelf() *Self {
	return &Self{
		Prefix: "12-34", MaxBuckets: 5, MaxKeys: 3, ObjectLock: true, Public: true, CSRF: "csrf-token-1",
		ActionURLs: map[string]string{
			"bucket.create":     "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientCreateBucket",
			"bucket.delete":     "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientDeleteBucket",
			"bucket.versioning": "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientBucketVersioning",
			"bucket.lifecycle":  "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientBucketLifecycle",
			"bucket.public":     "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientBucketPublic",
			"key.create":        "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientCreateKey",
			"key.revoke":        "clientarea.php?action=productdetails&id=34&modop=custom&a=ClientRevokeKey"},
		KeysURL:   "clientarea.php?action=productdetails&id=34&puqs3page=keys",
		BucketURL: "clientarea.php?action=productdetails&id=34&puqs3page=bucket&puqs3bucket=",
		Now:       measured,
		Keys: []Key{
			{AccessKey: "PQMAAAAAAAAAAAAAAAAA", Label: "backup <server>", Buckets: []string{"12-34-data"}, ReadOnly: true, Created: measured.AddDate(0, -1, 0)},
			{AccessKey: "PQMBBBBBBBBBBBBBBBBB", Expires: measured.Add(-time.Hour), Created: measured.AddDate(0, -2, 0)},
		},
	}
}

func selfClient(page string) ClientPage {
	p := sampleClient()
	p.Page, p.Self = page, sampleSelf()
	return p
}

// forms returns each form of html with its action and fields.
func forms(html string) []string {
	return regexp.MustCompile(`(?s)<form .*?</form>`).FindAllString(html, -1)
}

// Every self-service form posts WHMCS's token to its action's function
// and says which page to come back to.
func TestSelfFormsPostTheToken(t *testing.T) {
	r := newRenderer(t)
	pages := map[string]string{}
	for _, page := range []string{PageOverview, PageKeys, PageBucket} {
		p := selfClient(page)
		p.Self.Bucket = &Settings{Name: "12-34-data", Versioning: domain.VersioningEnabled, Public: true, PublicModule: true}
		pages[page] = renderClient(t, r, p)
	}
	n := 0
	for page, html := range pages {
		for _, f := range forms(html) {
			if strings.Contains(f, `a=Recalculate`) {
				continue
			}
			n++
			if !strings.Contains(f, `method="post"`) || !regexp.MustCompile(`name="token" value="(csrf-token-1|admin-token)"`).MatchString(f) ||
				!strings.Contains(f, `name="puqs3_return"`) || !strings.Contains(f, `modop=custom&amp;a=Client`) {
				t.Errorf("%s: form without POST, token, return page or action: %.300s", page, f)
			}
		}
	}
	if n < 9 {
		t.Errorf("only %d self-service forms found", n)
	}
	ov := pages[PageOverview]
	for _, want := range []string{`<span class="puqs3-prefix">12-34-</span>`, `name="puqs3_name" required maxlength="57"`,
		`name="puqs3_objectlock"`, `2 of 5 buckets`, `href="clientarea.php?action=productdetails&amp;id=34&amp;puqs3page=bucket&amp;puqs3bucket=12-34-data"`,
		`href="clientarea.php?action=productdetails&amp;id=34&amp;puqs3page=keys"`} {
		if !strings.Contains(ov, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
}

// The admin tab lies inside WHMCS's service form: no form of its own, no
// submit button (Enter in a field of WHMCS's would press it), no required
// field (it would block WHMCS's Save); its buttons post the admin's token
// with the bucket or key.
func TestAdminSelfServiceButtons(t *testing.T) {
	r := newRenderer(t)
	a := sampleAdmin()
	a.Keys, a.ActionURLs, a.CSRF, a.Now = sampleSelf().Keys, map[string]string{
		"bucket.delete": "clientsservices.php?userid=12&id=34&modop=custom&ac=AdminDeleteBucket",
		"key.revoke":    "clientsservices.php?userid=12&id=34&modop=custom&ac=AdminRevokeKey"}, "admin-token", measured
	html := renderAdmin(t, r, a)
	for _, bad := range []string{"<form", `type="submit"`, "required", "pattern="} {
		if strings.Contains(html, bad) {
			t.Errorf("the admin tab holds %q", bad)
		}
	}
	for _, want := range []string{
		`data-puqs3-post="clientsservices.php?userid=12&amp;id=34&amp;modop=custom&amp;ac=AdminDeleteBucket" data-puqs3-token="admin-token"`,
		`data-puqs3-field="puqs3_bucket" data-puqs3-value="12-34-logs"`,
		`data-puqs3-field="puqs3_key" data-puqs3-value="PQMAAAAAAAAAAAAAAAAA"`, `backup &lt;server&gt;`, `<script>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the admin tab lacks %q", want)
		}
	}
	if html := renderAdmin(t, r, sampleAdmin()); strings.Contains(html, "data-puqs3-post") || strings.Contains(html, "<script>") {
		t.Error("the admin tab offers actions without their URLs")
	}
}

func TestSelfKeysPage(t *testing.T) {
	r := newRenderer(t)
	p := selfClient(PageKeys)
	p.Self.NewKey = &NewKey{AccessKey: "PQMNEWNEWNEWNEWNEWNE", SecretKey: "Secret-Of-The-New-Key-0123456789abcdefgh", Expires: measured.AddDate(0, 0, 31)}
	html := renderClient(t, r, p)
	for _, want := range []string{
		`id="puqs3-newkey-secret" dir="ltr">Secret-Of-The-New-Key-0123456789abcdefgh<`, `data-puqs3-copy="puqs3-newkey-secret"`,
		`data-puqs3-copy="puqs3-newkey-access"`, `it is shown only this once`,
		`backup &lt;server&gt;`, `12-34-data · Read only`, `All buckets · Read and write`, `>Expired<`, `>Active<`,
		`name="puqs3_key" value="PQMAAAAAAAAAAAAAAAAA"`, `Revoke PQMAAAAAAAAAAAAAAAAA?`,
		`name="puqs3_buckets[]" value="12-34-logs"`, `type="date" id="puqs3-key-expires" name="puqs3_expires" min="2026-11-28" max="2027-11-25"`,
		`2 of 3 access keys`, `aria-current="page">Access keys<`, `28 Dec 2026`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("keys page lacks %q", want)
		}
	}
	if strings.Contains(html, "<svg") || strings.Contains(html, `id="puqs3-conn-h"`) {
		t.Error("the keys page draws the overview's sections")
	}
	// At the maximum, no form; suspended, no form and the keys paused.
	p.Self.NewKey, p.Self.MaxKeys = nil, 2
	if html := renderClient(t, r, p); strings.Contains(html, `id="puqs3-newkey"`) || !strings.Contains(html, "allows no more access keys") {
		t.Error("a full keys page offers a new key")
	}
	p.Self.MaxKeys, p.Self.Suspended = 3, true
	html = renderClient(t, r, p)
	if strings.Contains(html, `id="puqs3-newkey"`) || !strings.Contains(html, "The service is suspended") || !strings.Contains(html, "Paused while the service is suspended") {
		t.Error("a suspended service's keys page offers a new key or shows keys active")
	}
	if !strings.Contains(html, `name="puqs3_key"`) {
		t.Error("a suspended client cannot revoke keys")
	}
}

func TestSelfBucketPage(t *testing.T) {
	r := newRenderer(t)
	p := selfClient(PageBucket)
	p.Self.Bucket = &Settings{Name: "12-34-data", Versioning: domain.VersioningEnabled, ExpireDays: 30, OtherRules: 2,
		Public: true, PublicPrefix: "site/", PublicModule: true, PublicURL: "https://s3.example.net:9000/12-34-data/site/"}
	html := renderClient(t, r, p)
	for _, want := range []string{
		`<code class="puqs3-value" dir="ltr">12-34-data</code>`, `name="puqs3_enabled" value="0"`, `>Turn off<`,
		`name="puqs3_expire_days" value="30"`, `name="puqs3_noncurrent_days" value=""`, `2 further rules`,
		`Objects whose names start with site/ are public.`, `https://s3.example.net:9000/12-34-data/site/…`,
		`name="puqs3_public" value="0"`, `name="puqs3_prefix" maxlength="512" dir="ltr" autocomplete="off" value="site/"`,
		`name="puqs3_confirm" required pattern="12-34-data"`, `Type the bucket&#39;s name to confirm`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("bucket page lacks %q", want)
		}
	}
	// An empty bucket goes without typing its name; object lock keeps
	// versioning on; a withheld public read says why; a product without
	// public read offers none.
	p.Self.Public = false
	p.Self.Bucket = &Settings{Name: "12-34-vault.x", Empty: true, Versioning: domain.VersioningEnabled, ObjectLock: true,
		Public: true, PublicModule: true, PublicWithheld: domain.WithheldLimited}
	html = renderClient(t, r, p)
	for _, want := range []string{`Delete the empty bucket 12-34-vault.x?`, `Object lock keeps versioning on.`, `comes back afterwards`} {
		if !strings.Contains(html, want) {
			t.Errorf("bucket page lacks %q", want)
		}
	}
	for _, bad := range []string{`name="puqs3_confirm" required`, `name="puqs3_enabled"`, `name="puqs3_prefix"`} {
		if strings.Contains(html, bad) {
			t.Errorf("bucket page holds %q", bad)
		}
	}
	p.Self.BucketUnavailable, p.Self.Bucket = true, nil
	if html := renderClient(t, r, p); !strings.Contains(html, "could not be reached") {
		t.Error("unreadable settings are not said")
	}
}

// Without self-service (an account without a user yet, or pages built
// before it) the overview is as it was: no keys tab, no forms.
func TestNoSelfService(t *testing.T) {
	r := newRenderer(t)
	p := sampleClient()
	p.StatsURL = "stats"
	html := renderClient(t, r, p)
	if strings.Contains(html, "Access keys<") || strings.Contains(html, `puqs3_`) {
		t.Error("self-service shown without it")
	}
	p.Page = PageKeys
	if html := renderClient(t, r, p); !strings.Contains(html, `id="puqs3-conn-h"`) {
		t.Error("the keys page without self-service is not the overview")
	}
}

// A full account makes no bucket; a suspended one changes nothing; at the
// maximum no form is offered.
func TestSelfNewBucketStates(t *testing.T) {
	r := newRenderer(t)
	for _, c := range []struct {
		name string
		set  func(*Self)
		want string
	}{
		{"full", func(s *Self) { s.Full = true }, "no new buckets until space is freed"},
		{"suspended", func(s *Self) { s.Suspended = true }, "The service is suspended"},
		{"maximum", func(s *Self) { s.MaxBuckets = 2 }, "Your package allows no more buckets."},
	} {
		p := selfClient(PageOverview)
		c.set(p.Self)
		html := renderClient(t, r, p)
		if strings.Contains(html, `id="puqs3-newbucket"`) || !strings.Contains(html, c.want) {
			t.Errorf("%s: form offered or %q missing", c.name, c.want)
		}
	}
}

// Each refusal has its own sentence in every language, and a failure that
// is no refusal gets the general one: never the server's words.
func TestRefusalsInEveryLanguage(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range Languages {
		seen := map[string]string{}
		for refusal := range refusalKeys {
			text := r.Refusal(lang, refusal, domain.EINVALID)
			if text == "" {
				t.Errorf("%s: no text for %s", lang, refusal)
			}
			if other, dup := seen[text]; dup {
				t.Errorf("%s: %s and %s read the same", lang, refusal, other)
			}
			seen[text] = refusal
		}
		if r.Refusal(lang, "", domain.EUNAVAILABLE) == "" || r.Refusal(lang, "", domain.EUNAVAILABLE) == r.Refusal(lang, domain.RefuseInput, "") {
			t.Errorf("%s: no general failure text", lang)
		}
	}
	if got := r.Refusal("german", domain.RefuseTaken, domain.ECONFLICT); !strings.Contains(got, "Bucket dieses Namens") {
		t.Errorf("german: %q", got)
	}
	if got := r.Refusal("klingon", domain.RefuseTaken, domain.ECONFLICT); !strings.Contains(got, "exists already") {
		t.Errorf("an unknown language: %q", got)
	}
}

// Every language renders the self-service pages.
func TestSelfPagesInEveryLanguage(t *testing.T) {
	r := newRenderer(t)
	for _, lang := range Languages {
		for _, page := range []string{PageOverview, PageKeys, PageBucket} {
			p := selfClient(page)
			p.Lang = lang
			p.Self.NewKey = &NewKey{AccessKey: "PQMNEW", SecretKey: "s"}
			p.Self.Bucket = &Settings{Name: "12-34-data", Public: true, PublicModule: true, PublicPrefix: "a/"}
			renderClient(t, r, p)
		}
	}
}
