package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

// The reference product's default: "<USER_ID>*" lets 12-3 into 12-34's buckets.
const referencePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>*"]}]}`

func TestRenderPolicyDefaults(t *testing.T) {
	p := &Product{}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	for _, state := range []PolicyState{PolicyStandard, PolicyLimited} {
		out, err := p.PolicyDocument(state, "12-3")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), UserPlaceholder) || !strings.Contains(string(out), `"arn:aws:s3:::12-3-*"`) {
			t.Errorf("rendered policy %s", out)
		}
		if !json.Valid(out) {
			t.Error("not JSON")
		}
	}
}

// The policies are checked as templates, for every user they may be
// rendered for: the message names the resource as the admin wrote it.
func TestRenderPolicyRefusesForeignResources(t *testing.T) {
	err := CheckPolicyTemplate(referencePolicy, DefaultPolicy, "standard", false)
	if ErrorCode(err) != EINVALIDPOL || !strings.Contains(ErrorMessage(err), "statement 1") || !strings.Contains(ErrorMessage(err), "<USER_ID>*") {
		t.Fatalf("reference policy: %v", err)
	}
	if err := CheckPolicyTemplate(referencePolicy, DefaultPolicy, "standard", true); err != nil {
		t.Errorf("explicitly allowed foreign policy refused: %v", err)
	}
	cases := map[string]string{
		"no resource":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:ServerInfo"]}]}`,
		"star":         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":"arn:aws:s3:::*"}]}`,
		"notresource":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"NotResource":["arn:aws:s3:::<USER_ID>"]}]}`,
		"second stmt":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>/*"]},{"Sid":"Other","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::other/*"]}]}`,
		"no version":   `{"Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>"]}]}`,
		"broken":       `{"Version":"2012-10-17",`,
		"trailing":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>"]}]} {}`,
		"bad effect":   `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>"]}]}`,
		"no statement": `{"Version":"2012-10-17","Statement":[]}`,
		// A name written out rather than the placeholder reaches that one
		// tenant's buckets from every other tenant's policy.
		"literal name": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::12-3/*"]}]}`,
	}
	for name, raw := range cases {
		err := CheckPolicyTemplate(raw, DefaultPolicy, "standard", false)
		if ErrorCode(err) != EINVALIDPOL {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	err = CheckPolicyTemplate(cases["second stmt"], DefaultPolicy, "standard", false)
	if !strings.Contains(ErrorMessage(err), "statement 2 (Other)") {
		t.Errorf("message does not name the statement: %v", err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>-*"]},{"Effect":"Deny","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`
	if err := CheckPolicyTemplate(deny, DefaultPolicy, "standard", false); err != nil {
		t.Errorf("a Deny reaching anywhere is harmless: %v", err)
	}
	// Normalize refuses them naming the field.
	bad := &Product{Policy: referencePolicy}
	if err := bad.Normalize(); ErrorCode(err) != EINVALIDPOL || !strings.HasPrefix(ErrorMessage(err), "product.policy: ") {
		t.Errorf("Normalize of a foreign policy: %v", err)
	}
	bad = &Product{LimitPolicy: cases["broken"]}
	if err := bad.Normalize(); ErrorCode(err) != EINVALIDPOL || !strings.HasPrefix(ErrorMessage(err), "product.limitPolicy: ") {
		t.Errorf("Normalize of a broken limit policy: %v", err)
	}
}

// A product policy that allows anything but s3: actions is refused, with
// or without allowForeignResources: MinIO ignores Resource for admin:,
// kms: and sts: actions, so "admin:CreateServiceAccount" on the tenant's
// own resources let a tenant mint keys for root (finding 1 of issue 11).
func TestPolicyRefusesNonS3Actions(t *testing.T) {
	ns := `"Resource":["arn:aws:s3:::<USER_ID>","arn:aws:s3:::<USER_ID>/*","arn:aws:s3:::<USER_ID>-*"]`
	for name, st := range map[string]string{
		"create key":   `{"Sid":"Keys","Effect":"Allow","Action":["admin:CreateServiceAccount"],` + ns + `}`,
		"admin star":   `{"Effect":"Allow","Action":"admin:*",` + ns + `}`,
		"star":         `{"Effect":"Allow","Action":["*"],` + ns + `}`,
		"sts":          `{"Effect":"Allow","Action":["sts:AssumeRole"],` + ns + `}`,
		"kms":          `{"Effect":"Allow","Action":["kms:CreateKey"],` + ns + `}`,
		"notaction":    `{"Effect":"Allow","NotAction":["s3:GetObject"],` + ns + `}`,
		"no action":    `{"Effect":"Allow",` + ns + `}`,
		"s3 empty":     `{"Effect":"Allow","Action":["s3:"],` + ns + `}`,
		"mixed case":   `{"Effect":"Allow","Action":["S3:*"],` + ns + `}`,
		"second mixed": `{"Effect":"Allow","Action":["s3:GetObject","admin:ServerInfo"],` + ns + `}`,
	} {
		raw := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],` + ns + `},` + st + `]}`
		for _, foreign := range []bool{false, true} {
			err := CheckPolicyTemplate(raw, DefaultPolicy, "standard", foreign)
			if ErrorCode(err) != EINVALIDPOL || !strings.Contains(ErrorMessage(err), "statement 2") {
				t.Errorf("%s (allowForeign %t): %v", name, foreign, err)
			}
		}
		p := &Product{LimitPolicy: raw}
		if err := p.Normalize(); ErrorCode(err) != EINVALIDPOL || !strings.HasPrefix(ErrorMessage(err), "product.limitPolicy: statement 2") {
			t.Errorf("%s as the limit policy: %v", name, err)
		}
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],` + ns + `},{"Effect":"Deny","Action":["admin:*"]}]}`
	if err := CheckPolicyTemplate(deny, DefaultPolicy, "standard", false); err != nil {
		t.Errorf("a Deny of admin actions is harmless: %v", err)
	}
}

// A group's policy is checked like the product's, with ${aws:username}
// naming each member.
func TestGroupPolicyCheck(t *testing.T) {
	own := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::${aws:username}-*"]}]}`
	if err := CheckGroupPolicy("shared-read", []byte(own), false); err != nil {
		t.Errorf("a group policy scoped by ${aws:username}: %v", err)
	}
	consoleAdmin := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]},{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`
	for _, foreign := range []bool{false, true} {
		err := CheckGroupPolicy("consoleAdmin", []byte(consoleAdmin), foreign)
		if ErrorCode(err) != EINVALIDPOL || !strings.Contains(ErrorMessage(err), `"consoleAdmin"`) || !strings.Contains(ErrorMessage(err), "admin:*") {
			t.Errorf("consoleAdmin as a group policy (allowForeign %t): %v", foreign, err)
		}
	}
	readwrite := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`
	if err := CheckGroupPolicy("readwrite", []byte(readwrite), false); ErrorCode(err) != EINVALIDPOL {
		t.Errorf("readwrite reaches every bucket: %v", err)
	}
	if err := CheckGroupPolicy("readwrite", []byte(readwrite), true); err != nil {
		t.Errorf("readwrite with allowForeignResources: %v", err)
	}
}

// Every document the module writes carries its guards; a raw policy of
// s3:* cannot undo them.
func TestPolicyDocumentGuards(t *testing.T) {
	for perms, want := range map[string][]string{
		"":                             {"PuqMinIOS3NoBucketPolicy", "PuqMinIOS3NoObjectLock", "PuqMinIOS3NoToolKeys"},
		"objectlock":                   {"PuqMinIOS3NoBucketPolicy", "PuqMinIOS3NoToolKeys"},
		"toolkeys, public":             {"PuqMinIOS3NoBucketPolicy", "PuqMinIOS3NoObjectLock"},
		"PUBLIC objectlock toolkeys\n": {"PuqMinIOS3NoBucketPolicy"},
	} {
		p := &Product{Permissions: perms}
		if err := p.Normalize(); err != nil {
			t.Fatal(err)
		}
		for _, state := range []PolicyState{PolicyStandard, PolicyLimited} {
			doc, err := p.PolicyDocument(state, "12-3")
			if err != nil {
				t.Fatal(err)
			}
			var d struct {
				Statement []struct {
					Sid, Effect string
					Action      []string
				}
			}
			if err := json.Unmarshal(doc, &d); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range d.Statement {
				if st.Effect == "Deny" {
					got = append(got, st.Sid)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("permissions %q, %s: guards %v, want %v", perms, state, got, want)
			}
		}
		if p.PolicySignature(PolicyStandard) == p.PolicySignature(PolicyLimited) {
			t.Error("the two policies have one signature")
		}
	}
	a, b := &Product{}, &Product{Permissions: "objectlock"}
	_, _ = a.Normalize(), b.Normalize()
	if a.PolicySignature(PolicyStandard) == b.PolicySignature(PolicyStandard) {
		t.Error("a change of permissions does not change the signature, so documents would not be rewritten")
	}
	if err := (&Product{Permissions: "public admin"}).Normalize(); ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), `"admin"`) {
		t.Errorf("an unknown permission: %v", err)
	}
}

// A bad display setting never costs a client the page (finding 10 of
// issue 11): the pages' normalization leaves it out and notes why; every
// other action still refuses it.
func TestDisplaySettingsAreLenientForPages(t *testing.T) {
	p := &Product{InstructionURL: "javascript:alert(1)", PasswordDisplay: "maybe"}
	if err := p.Normalize(); ErrorCode(err) != EINVALID {
		t.Fatalf("Normalize accepted a javascript: link: %v", err)
	}
	p = &Product{InstructionURL: "javascript:alert(1)", PasswordDisplay: "maybe"}
	if err := p.NormalizeForDisplay(); err != nil {
		t.Fatal(err)
	}
	if p.InstructionURL != "" || p.PasswordDisplay != PasswordButton || len(p.DisplayNotes()) != 2 {
		t.Fatalf("lenient normalization: %+v %v", p, p.DisplayNotes())
	}
	if err := (&Product{Unit: "XB"}).NormalizeForDisplay(); ErrorCode(err) != EINVALID {
		t.Fatalf("a bad unit is not a display setting: %v", err)
	}
}
