package domain

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The reference product's default: "<USER_ID>*" lets 12-3 into 12-34's buckets.
const referencePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>*"]}]}`

func TestRenderPolicyDefaults(t *testing.T) {
	for _, def := range []string{DefaultPolicy, DefaultLimitPolicy} {
		out, err := RenderPolicy("", def, "12-3", "standard", false)
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

func TestRenderPolicyRefusesForeignResources(t *testing.T) {
	_, err := RenderPolicy(referencePolicy, DefaultPolicy, "12-3", "standard", false)
	if ErrorCode(err) != EINVALIDPOL || !strings.Contains(ErrorMessage(err), "statement 1") || !strings.Contains(ErrorMessage(err), "12-3*") {
		t.Fatalf("reference policy: %v", err)
	}
	if _, err := RenderPolicy(referencePolicy, DefaultPolicy, "12-3", "standard", true); err != nil {
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
	}
	for name, raw := range cases {
		_, err := RenderPolicy(raw, DefaultPolicy, "12-3", "standard", false)
		if ErrorCode(err) != EINVALIDPOL {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	_, err = RenderPolicy(cases["second stmt"], DefaultPolicy, "12-3", "standard", false)
	if !strings.Contains(ErrorMessage(err), "statement 2 (Other)") {
		t.Errorf("message does not name the statement: %v", err)
	}
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::<USER_ID>-*"]},{"Effect":"Deny","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}`
	if _, err := RenderPolicy(deny, DefaultPolicy, "12-3", "standard", false); err != nil {
		t.Errorf("a Deny reaching anywhere is harmless: %v", err)
	}
}

// The PHP module shows the default policies in the product's textareas; they
// must stay the same documents as ours.
func TestPHPDefaultPoliciesMatch(t *testing.T) {
	src, err := os.ReadFile("../../whmcs/modules/servers/puqMinIOS3/lib/ProductSettings.php")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"DEFAULT_POLICY": DefaultPolicy, "DEFAULT_LIMIT_POLICY": DefaultLimitPolicy} {
		start := strings.Index(string(src), "const "+name+" = <<<'JSON'\n")
		if start < 0 {
			t.Fatalf("%s not found in ProductSettings.php", name)
		}
		body := string(src)[start+len("const "+name+" = <<<'JSON'\n"):]
		body = body[:strings.Index(body, "\nJSON;")]
		var a, b bytes.Buffer
		if json.Compact(&a, []byte(body)) != nil || json.Compact(&b, []byte(want)) != nil || a.String() != b.String() {
			t.Errorf("PHP %s differs from Go's:\n%s\n%s", name, a.String(), b.String())
		}
	}
}
