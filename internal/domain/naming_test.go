package domain

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestRenderUsernameDefaultAndMacros(t *testing.T) {
	now := time.Date(2026, 11, 27, 8, 5, 9, 0, time.UTC)
	c := NameContext{ClientID: 12, ServiceID: 34, Now: now}
	cases := map[string]string{
		"":                         "12-34",
		"{client_id}-{service_id}": "12-34",
		"s3-{service_id}":          "s3-34",
		"u{unixtime}":              "u1795766709",
		"d-{date}":                 "d-2026-11-27",
		"t-{time}":                 "t-08-05-09",
		"Cust-{client_id}":         "cust-12",
	}
	for rule, want := range cases {
		got, err := RenderUsername(rule, c)
		if err != nil || got != want {
			t.Errorf("RenderUsername(%q) = %q, %v; want %q", rule, got, err, want)
		}
	}
	got, err := RenderUsername("x{random_digit_5}{random_letter_4}", c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || strings.Trim(got[1:6], "0123456789") != "" || strings.Trim(got[6:], "abcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("random rule gave %q", got)
	}
}

func TestRenderUsernameRejects(t *testing.T) {
	c := NameContext{ClientID: 1, ServiceID: 2, Now: time.Now()}
	for _, rule := range []string{"{client_id}", "{nope}", "a_{service_id}", "-{service_id}", "{random_digit_0}x", "a--{service_id}", strings.Repeat("a", 41), "ü{service_id}x"} {
		if _, err := RenderUsername(rule, c); ErrorCode(err) != EINVALIDNAME {
			t.Errorf("RenderUsername(%q) error = %v; want %s", rule, err, EINVALIDNAME)
		}
	}
}

func TestNamespaces(t *testing.T) {
	if NamespacesOverlap("12-3", "12-34") {
		t.Error("12-3 and 12-34 must not overlap")
	}
	for _, p := range [][2]string{{"12-3", "12-3-4"}, {"12-3-4", "12-3"}, {"ab", "ab"}} {
		if !NamespacesOverlap(p[0], p[1]) {
			t.Errorf("%s and %s must overlap", p[0], p[1])
		}
	}
	if OwnsBucket("12-3", "12-34") || OwnsBucket("12-3", "12-34-data") {
		t.Error("12-3 must not own 12-34's buckets")
	}
	if !OwnsBucket("12-3", "12-3") || !OwnsBucket("12-3", "12-3-data") {
		t.Error("12-3 must own 12-3 and 12-3-data")
	}
}

func TestPasswordRule(t *testing.T) {
	p, err := GeneratePassword(DefaultPasswordRule)
	if err != nil || len(p) != 12 {
		t.Fatalf("GeneratePassword = %q, %v", p, err)
	}
	for _, r := range p {
		if !strings.ContainsRune(DefaultPasswordRule[3:], r) {
			t.Errorf("%q not from the charset", r)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		q, _ := GeneratePassword(DefaultPasswordRule)
		if seen[q] {
			t.Fatal("repeated password in 200 draws")
		}
		seen[q] = true
	}
	for _, bad := range []string{"", "12", "x:abcdefghijk", "4:abcdefghijk", "12:abc", "12:abc defghijk", "500:abcdefghijk"} {
		if _, err := GeneratePassword(bad); ErrorCode(err) != EINVALID {
			t.Errorf("GeneratePassword(%q) err = %v", bad, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	if err := ValidatePassword("short"); err == nil {
		t.Error("short password accepted")
	}
	if err := ValidatePassword("long-enough\n"); err == nil {
		t.Error("control character accepted")
	}
	if err := ValidatePassword("Long-enough-1"); err != nil {
		t.Error(err)
	}
}

func TestProductNormalize(t *testing.T) {
	p := Product{}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	if p.Unit != "GB" || p.WarnPercent != 90 || p.HistoryDays != 365 || p.PasswordDisplay != PasswordButton || p.UsernameRule != DefaultUsernameRule || p.UsageMode != UsageScanner {
		t.Errorf("defaults not filled: %+v", p)
	}
	if p.Traffic || p.EgressAllowanceGB != 0 || p.EgressTemplate != "" || p.EgressAllowanceBytes() != 0 {
		t.Errorf("traffic is measured by default: %+v", p)
	}
	p = Product{Traffic: true, EgressAllowanceGB: 2.5}
	if err := p.Normalize(); err != nil || p.EgressAllowanceBytes() != 5<<29 {
		t.Errorf("2.5 GB egress = %d, %v", p.EgressAllowanceBytes(), err)
	}
	p = Product{EgressAllowanceGB: 2.5}
	if err := p.Normalize(); err != nil || p.EgressAllowanceBytes() != 0 {
		t.Errorf("an allowance without traffic measured = %d, %v", p.EgressAllowanceBytes(), err)
	}
	p = Product{Unit: "tb", DiskSpace: 1.5}
	if err := p.Normalize(); err != nil || p.LimitBytes() != 3<<39 {
		t.Errorf("1.5 TB = %d, %v", p.LimitBytes(), err)
	}
	bad := []Product{
		{Unit: "KB"}, {DiskSpace: -1}, {WarnPercent: 101}, {HistoryDays: -3},
		{InstructionURL: "javascript:alert(1)"}, {InstructionURL: "ftp://x"}, {BucketSuffix: "Data"},
		{PasswordDisplay: "maybe"}, {PasswordRule: "3:ab"}, {UsageMode: "guess"}, {Group: "a b"},
		{CheckIntervalMinutes: 1}, {Policy: strings.Repeat("x", MaxPolicyBytes+1)},
		{EgressAllowanceGB: -1}, {EgressAllowanceGB: math.NaN()}, {EgressAllowanceGB: math.Inf(1)},
		{Traffic: true, EgressAllowanceGB: MaxEgressAllowanceGB + 1},
	}
	for _, b := range bad {
		if err := b.Normalize(); err == nil {
			t.Errorf("Normalize accepted %+v", b)
		}
	}
}
