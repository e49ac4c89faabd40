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
