package bridge

import (
	"context"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/view"
)

// renderParams are the params of render.client and render.admin.
type renderParams struct {
	Page           string `json:"page"`           // overview, stats, keys or bucket
	RecalculateURL string `json:"recalculateUrl"` // where the Recalculate button goes
	CSRF           string `json:"csrf"`           // WHMCS's token; makes Recalculate and every self-service form a POST
	StatsURL       string `json:"statsUrl"`
	OverviewURL    string `json:"overviewUrl"`
	OverridesDir   string `json:"overridesDir"` // the admin's string overrides (view.Options)
	// Self-service (docs/bridge.md): the access keys page, a bucket's
	// settings page (the bucket's name is appended), where each action's
	// form posts, the bucket of page "bucket" and the key just made.
	KeysURL    string       `json:"keysUrl"`
	BucketURL  string       `json:"bucketUrl"`
	ActionURLs actionURLs   `json:"actionUrls"`
	Bucket     string       `json:"bucket"`
	NewKey     *newKeyShown `json:"newKey"`
}

// actionURLs are the module's custom functions the self-service forms post
// to, by action; an action without one is not offered.
type actionURLs struct {
	BucketCreate     string `json:"bucket.create"`
	BucketDelete     string `json:"bucket.delete"`
	BucketVersioning string `json:"bucket.versioning"`
	BucketLifecycle  string `json:"bucket.lifecycle"`
	BucketPublic     string `json:"bucket.public"`
	KeyCreate        string `json:"key.create"`
	KeyRevoke        string `json:"key.revoke"`
}

// byAction is the URLs by action name, for the pages.
func (a actionURLs) byAction() map[string]string {
	return map[string]string{"bucket.create": a.BucketCreate, "bucket.delete": a.BucketDelete, "bucket.versioning": a.BucketVersioning,
		"bucket.lifecycle": a.BucketLifecycle, "bucket.public": a.BucketPublic, "key.create": a.KeyCreate, "key.revoke": a.KeyRevoke}
}

// newKeyShown is the key key.create just made, passed back in the same
// WHMCS request to be shown once: its secret is kept nowhere.
type newKeyShown struct {
	AccessKey string `json:"accessKey"`
	SecretKey string `json:"secretKey"`
	Expires   string `json:"expires"` // RFC 3339, "" for none
}

// preparePage decodes the params of a render action and loads the
// templates with the admin's language overrides. Overrides that do not load
// (a typo in a key, a dropped placeholder) are left out rather than costing
// every client their page; the admin tab says why.
func preparePage(req *Request, env Env) (pageSetup, error) {
	var p renderParams
	if err := decodeParams(req.Params, &p); err != nil {
		return pageSetup{}, err
	}
	switch p.Page {
	case "":
		p.Page = view.PageOverview
	case view.PageOverview, view.PageStats, view.PageKeys, view.PageBucket:
	default:
		return pageSetup{}, domain.Errorf(domain.EINVALID, "params.page must be overview, stats, keys or bucket")
	}
	if p.Page != view.PageBucket && p.Bucket != "" {
		return pageSetup{}, domain.Errorf(domain.EINVALID, "params.bucket is for page bucket only")
	}
	if p.Page == view.PageBucket && p.Bucket == "" {
		return pageSetup{}, domain.Errorf(domain.EMISSING, "params.bucket is required for page bucket")
	}
	if k := p.NewKey; k != nil {
		if err := domain.CheckAccessKeyName("params.newKey.accessKey", k.AccessKey); err != nil {
			return pageSetup{}, err
		}
		if !printable(k.SecretKey) || k.SecretKey == "" {
			return pageSetup{}, domain.Errorf(domain.EINVALID, "params.newKey.secretKey must be printable characters")
		}
		if k.Expires != "" {
			if _, err := time.Parse(time.RFC3339, k.Expires); err != nil {
				return pageSetup{}, domain.Errorf(domain.EINVALID, "params.newKey.expires must be an RFC 3339 time")
			}
		}
	}
	if strings.ContainsRune(p.OverridesDir, 0) {
		return pageSetup{}, domain.Errorf(domain.EINVALID, "params.overridesDir holds a NUL byte")
	}
	if env.Renderer == nil {
		return pageSetup{}, domain.Errorf(domain.EINTERNAL, "no renderer")
	}
	r, err := env.Renderer(p.OverridesDir)
	if err == nil {
		return pageSetup{params: p, renderer: r}, nil
	}
	overridesErr := domain.Errorf(domain.EINVALID, "the language overrides in %s were not used: %s", domain.Printable(p.OverridesDir), domain.Printable(err.Error()))
	env.Log.Warn("language overrides not used", "dir", p.OverridesDir, "err", err.Error())
	if r, err = env.Renderer(""); err != nil {
		return pageSetup{}, domain.Errorf(domain.EINTERNAL, "cannot load the page templates: %s", err)
	}
	return pageSetup{params: p, renderer: r, overridesErr: overridesErr}, nil
}

// pageSetup is a render action's params and renderer; overridesErr says
// why the admin's language overrides were left out.
type pageSetup struct {
	params       renderParams
	renderer     Renderer
	overridesErr error
}

func renderClient(req *Request, env Env) (job, error) {
	ps, err := preparePage(req, env)
	if err != nil {
		return nil, err
	}
	p, r := ps.params, ps.renderer
	return func(ctx context.Context, m *account.Manager) (any, error) {
		page, err := buildClientPage(ctx, m, req, p, env)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		if err := r.Client(&b, page); err != nil {
			return nil, domain.Errorf(domain.EINTERNAL, "render client area: %s", err)
		}
		return map[string]string{"html": b.String()}, nil
	}, nil
}

// buildClientPage gathers the data of the client area's page p.Page: the
// access keys page from the store only, a bucket's page from the server
// (on demand), the others as the overview.
func buildClientPage(ctx context.Context, m *account.Manager, req *Request, p renderParams, env Env) (view.ClientPage, error) {
	if p.Page == view.PageKeys {
		keys, err := m.ListKeys(ctx, *req.Service, *req.Product)
		if err != nil {
			return view.ClientPage{}, err
		}
		return keysPage(req, p, keys, env.Now()), nil
	}
	// A bucket's page asks the server first: a bucket outside the
	// tenant's namespace is refused before the store is opened.
	var settings domain.BucketSettings
	var settingsErr error
	if p.Page == view.PageBucket {
		settings, settingsErr = m.BucketSettings(ctx, *req.Service, p.Bucket)
		if rejected[domain.ErrorCode(settingsErr)] {
			return view.ClientPage{}, settingsErr
		}
	}
	o, err := m.Overview(ctx, *req.Service, *req.Product)
	if err != nil {
		return view.ClientPage{}, err
	}
	page := clientPage(req, p, o, env.Now())
	if o.BucketsErr != nil {
		// The client reads a plain sentence (the page's own words);
		// the detail is for the log and the admin tab.
		page.Unavailable = true
		env.Log.Warn("client area without bucket figures", "service", req.Service.ID, "err", domain.ErrorMessage(o.BucketsErr))
	}
	switch {
	case p.Page != view.PageBucket || page.Self == nil:
	case domain.ErrorCode(settingsErr) == domain.ENOTFOUND:
		// Gone (deleted a moment ago): the overview instead.
		page.Page = view.PageOverview
	case settingsErr != nil:
		page.Self.BucketUnavailable = true
		env.Log.Warn("bucket settings not read", "service", req.Service.ID, "bucket", p.Bucket, "err", domain.ErrorMessage(settingsErr))
	default:
		page.Self.Bucket = bucketSettings(view.EndpointURL(page.Endpoint, page.Secure), settings)
	}
	return page, nil
}

func renderAdmin(req *Request, env Env) (job, error) {
	ps, err := preparePage(req, env)
	if err != nil {
		return nil, err
	}
	r, overridesErr := ps.renderer, ps.overridesErr
	return func(ctx context.Context, m *account.Manager) (any, error) {
		v, err := m.AdminView(ctx, *req.Service, *req.Product)
		if err != nil {
			return nil, err
		}
		page := adminPage(req, ps.params, v, env.Now())
		if overridesErr != nil {
			page.Errors = append(page.Errors, domain.ErrorMessage(overridesErr))
		}
		var b strings.Builder
		if err := r.Admin(&b, page); err != nil {
			return nil, domain.Errorf(domain.EINTERNAL, "render admin tab: %s", err)
		}
		return map[string]string{"html": b.String()}, nil
	}, nil
}

// pageUsage is the usage box of both pages.
func pageUsage(p *domain.Product, o account.Overview) view.Usage {
	return view.Usage{
		UsedBytes: o.Latest.Bytes, LimitBytes: p.LimitBytes(), Unit: p.Unit, UnitBytes: p.UnitBytes(),
		WarnPercent: p.WarnPercent, State: string(o.Evaluation.State), Forced: string(o.Forced),
		MeasuredAt: o.Latest.At, Source: o.Latest.Source,
	}
}

func pageDaily(o account.Overview) []view.Point {
	out := make([]view.Point, 0, len(o.Daily))
	for _, d := range o.Daily {
		out = append(out, view.Point{At: d.Day, Bytes: d.LastBytes})
	}
	return out
}

// pageTraffic is the traffic of both pages; nil when the product does not
// measure it.
func pageTraffic(o account.Overview) *view.Traffic {
	t := o.Traffic
	if t == nil {
		return nil
	}
	m := t.Month
	v := &view.Traffic{Month: m.Month, EgressBytes: m.Traffic.Egress, IngressBytes: m.Traffic.Ingress, Requests: m.Traffic.Requests,
		AllowanceBytes: m.AllowanceBytes, Hourly: t.Hourly}
	for _, d := range t.Daily {
		v.Daily = append(v.Daily, view.TrafficPoint{At: d.Day, Egress: d.Egress, Ingress: d.Ingress})
	}
	for _, mo := range t.Monthly {
		v.Monthly = append(v.Monthly, view.TrafficPoint{At: mo.Month, Egress: mo.Egress, Ingress: mo.Ingress})
	}
	for _, b := range t.Buckets {
		v.Buckets = append(v.Buckets, view.TrafficBucket{Name: b.Bucket, Egress: b.Egress, Ingress: b.Ingress, Requests: b.Requests})
	}
	return v
}

func pageBuckets(bs []domain.Bucket) []view.Bucket {
	out := make([]view.Bucket, 0, len(bs))
	for _, b := range bs {
		out = append(out, view.Bucket{Name: b.Name, Bytes: b.Bytes, Objects: b.Objects, Versions: b.Versions})
	}
	return out
}

// selfOf is what the client area lets the tenant change, as the page
// offers it (the binary checks each change again when it is asked for).
func selfOf(req *Request, p renderParams, prod *domain.Product, now time.Time) *view.Self {
	limits := prod.SelfLimits()
	return &view.Self{
		Prefix: req.Service.Username, MaxBuckets: limits.Buckets, MaxKeys: limits.Keys,
		ObjectLock: prod.Allows(domain.PermObjectLock), Public: prod.Allows(domain.PermPublic),
		ActionURLs: p.ActionURLs.byAction(), CSRF: p.CSRF, KeysURL: p.KeysURL, BucketURL: p.BucketURL,
		Suspended: req.Service.Status == "Suspended", Now: now,
	}
}

// keysPage is the access keys page's data.
func keysPage(req *Request, p renderParams, k account.Keys, now time.Time) view.ClientPage {
	prod := *req.Product
	_ = prod.NormalizeForDisplay() // ListKeys accepted it
	page := clientPage(req, p, account.Overview{Product: prod, Buckets: k.Buckets}, now)
	s := page.Self
	s.Suspended = s.Suspended || k.Suspended
	for _, key := range k.Keys {
		s.Keys = append(s.Keys, view.Key{AccessKey: key.AccessKey, Label: key.Label, Buckets: key.Scope.Buckets,
			ReadOnly: key.Scope.ReadOnly, Expires: key.Expires, Created: key.Created})
	}
	if nk := p.NewKey; nk != nil {
		shown := &view.NewKey{AccessKey: nk.AccessKey, SecretKey: nk.SecretKey}
		shown.Expires, _ = time.Parse(time.RFC3339, nk.Expires)
		s.NewKey = shown
	}
	return page
}

// bucketSettings is a bucket's page data; endpoint is the S3 address the
// client uses, for the public address.
func bucketSettings(endpoint string, b domain.BucketSettings) *view.Settings {
	return &view.Settings{Name: b.Bucket, Empty: b.Empty, Versioning: b.Versioning, ObjectLock: b.ObjectLock,
		ExpireDays: b.Lifecycle.ExpireDays, NoncurrentDays: b.Lifecycle.NoncurrentDays, OtherRules: b.OtherRules,
		Public: b.Public.On, PublicPrefix: b.Public.Prefix, PublicModule: b.Public.Module, PublicWithheld: b.Public.Withheld,
		PublicURL: strings.TrimSuffix(endpoint, "/") + "/" + b.Bucket + "/" + b.Public.Prefix}
}

// clientPage is the client area's data.
func clientPage(req *Request, p renderParams, o account.Overview, now time.Time) view.ClientPage {
	svc, prod := req.Service, &o.Product
	endpoint := prod.PublicEndpoint
	if endpoint == "" {
		endpoint = req.Server.Endpoint
	}
	page := view.ClientPage{
		Lang: svc.Lang, Page: p.Page, InstructionURL: prod.InstructionURL,
		Endpoint: endpoint, Secure: req.Server.Secure, AccessKey: svc.Username,
		PasswordDisplay: prod.PasswordDisplay, RecalculateURL: p.RecalculateURL, RecalculateCSRF: p.CSRF,
		StatsURL: p.StatsURL, OverviewURL: p.OverviewURL,
		Usage: pageUsage(prod, o), Daily: pageDaily(o), Buckets: pageBuckets(o.Buckets), Traffic: pageTraffic(o),
	}
	if prod.PasswordDisplay != domain.PasswordHide {
		page.Secret = svc.Password
	}
	page.SelfUnavailable = svc.Username != "" && req.Server.Backend == BackendRGW
	if svc.Username != "" && !page.SelfUnavailable {
		page.Self = selfOf(req, p, prod, now)
		page.Self.Suspended = page.Self.Suspended || o.Suspended
		page.Self.Full = o.Policy == domain.PolicyLimited
	}
	page.Monthly = make([]view.Point, 0, len(o.Monthly))
	for _, mo := range o.Monthly {
		page.Monthly = append(page.Monthly, view.Point{At: mo.Month, Bytes: mo.AvgBytes})
	}
	return page
}

// adminPage is the admin tab's data; errors are shown to the admin in
// full.
func adminPage(req *Request, p renderParams, v account.AdminView, now time.Time) view.AdminPage {
	svc, prod := req.Service, &v.Product
	page := view.AdminPage{Lang: "english", Username: svc.Username, Groups: []string{},
		Usage: pageUsage(prod, v.Overview), Daily: pageDaily(v.Overview), Buckets: pageBuckets(v.Buckets),
		Traffic: pageTraffic(v.Overview), CSRF: p.CSRF, Now: now}
	if req.Server.Backend != BackendRGW {
		page.ActionURLs = p.ActionURLs.byAction()
	}
	for _, k := range v.Keys {
		page.Keys = append(page.Keys, view.Key{AccessKey: k.AccessKey, Label: k.Label, Buckets: k.Scope.Buckets,
			ReadOnly: k.Scope.ReadOnly, Expires: k.Expires, Created: k.Created})
	}
	if v.ServerErr != nil {
		page.Connection.Error = domain.ErrorMessage(v.ServerErr)
	} else {
		si := v.Server
		page.Connection = view.Connection{OK: true, Version: v.Version, Mode: si.Mode, DrivesOnline: si.DrivesOnline(), DrivesOffline: si.DrivesOffline()}
	}
	switch {
	case svc.Username == "":
		page.Errors = append(page.Errors, "This service has no MinIO user yet: run Create.")
	case v.ServerErr != nil:
	case v.DetailsErr != nil:
		page.Errors = append(page.Errors, domain.ErrorMessage(v.DetailsErr))
	default:
		d := v.Details
		page.Exists, page.Enabled, page.Groups = d.Exists, d.Enabled, d.Groups
		page.PolicyState, page.Forced = string(d.PolicyState), string(d.Forced)
		if !d.Exists {
			page.Errors = append(page.Errors, "The user "+svc.Username+" does not exist on MinIO: run Create, or Terminate to clean up.")
		}
	}
	if v.BucketsErr != nil {
		page.Errors = append(page.Errors, domain.ErrorMessage(v.BucketsErr))
	}
	page.Errors = append(page.Errors, v.Product.DisplayNotes()...)
	if !prod.Traffic && prod.EgressAllowanceGB > 0 {
		page.Errors = append(page.Errors, "The product sets a monthly egress allowance but does not measure traffic (Measure traffic is off), so no traffic is shown, reported for billing or warned about.")
	}
	if v.GroupFound && v.Group.Problem != "" {
		page.Errors = append(page.Errors, v.Group.Problem+" (checked "+v.Group.CheckedAt.UTC().Format("2006-01-02 15:04")+" UTC)")
	}
	page.Access = accessNotes(&v.Product, v)
	return page
}

// accessNotes says, for the admin, what the product lets its tenants do
// beyond their own buckets' objects and what the module holds back now.
func accessNotes(p *domain.Product, v account.AdminView) []string {
	perms := p.Permissions
	if perms == "" {
		perms = "none"
	}
	out := []string{"Permissions: " + perms + ". Without public, tenants cannot publish buckets; without objectlock, cannot lock data; without toolkeys, cannot make access keys with S3 tools; without keepkeys, a password change ends every access key."}
	g := v.Group
	checked := " (checked " + g.CheckedAt.UTC().Format("2006-01-02 15:04") + " UTC, at the last create or change of package)"
	switch {
	case p.Group == "":
	case !v.GroupFound:
		out = append(out, "Group "+p.Group+" has not been checked yet: the next create or change of package checks what it grants.")
	case g.Problem != "":
	case len(g.Policies) == 0:
		out = append(out, "Group "+p.Group+" grants nothing (no policy attached)"+checked+".")
	default:
		out = append(out, "Group "+p.Group+" grants each tenant the policies "+strings.Join(g.Policies, ", ")+checked+": s3 actions on the tenant's own buckets.")
	}
	for _, w := range v.Withheld {
		out = append(out, "The policy of bucket "+w.Bucket+" is withheld ("+w.Reason+" since "+w.At.UTC().Format("2006-01-02 15:04")+" UTC); anonymous requests are refused until it is put back.")
	}
	return out
}
