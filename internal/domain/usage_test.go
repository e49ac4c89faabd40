package domain

import (
	"math/big"
	"reflect"
	"testing"
)

const gib = int64(1) << 30

func usageProduct(t *testing.T, size float64) *Product {
	t.Helper()
	p := &Product{Unit: "GB", DiskSpace: size, WarnPercent: 90,
		WarnTemplate: "puqMinIOS3 Notification disk limit", LimitTemplate: "puqMinIOS3 Disk limit reached"}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	return p
}

func noticeKinds(e Evaluation) []string {
	var k []string
	for _, n := range e.Notices {
		k = append(k, n.Kind)
	}
	return k
}

// run plays a sequence of usage figures, confirming each due email as the
// shim would, and returns the kinds sent at each step.
func run(p *Product, prev AccountState, used ...int64) ([][]string, AccountState) {
	var sent [][]string
	for _, u := range used {
		e := Evaluate(p, "12-34", u, prev)
		prev = e.Next
		for _, n := range e.Notices {
			prev = prev.MarkNotified(n.Kind)
		}
		prev.Policy = e.WantPolicy // the caller applied it
		sent = append(sent, noticeKinds(e))
	}
	return sent, prev
}

func TestEvaluateWarnOnceAndRearm(t *testing.T) {
	p := usageProduct(t, 10)
	sent, _ := run(p, AccountState{}, 5*gib, 9*gib, 9*gib+gib/2, 9*gib, 8*gib, 9*gib)
	want := [][]string{nil, {"warn"}, nil, nil, nil, {"warn"}}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("sent %v, want %v", sent, want)
	}
}

func TestEvaluateWarnThresholdIsExact(t *testing.T) {
	p := usageProduct(t, 10)
	if e := Evaluate(p, "u", 9*gib, AccountState{}); e.State != StateWarning {
		t.Fatalf("exactly 90%% gave %s", e.State)
	}
	if e := Evaluate(p, "u", 9*gib-1, AccountState{}); e.State != StateNormal {
		t.Fatalf("just under 90%% gave %s", e.State)
	}
}

func TestEvaluateLimitOnceAndRearm(t *testing.T) {
	p := usageProduct(t, 10)
	prev := AccountState{Policy: PolicyStandard}
	steps := []struct {
		used   int64
		state  UsageState
		policy PolicyState
		sent   []string
	}{
		{10 * gib, StateLimited, PolicyLimited, []string{"limit"}},
		{12 * gib, StateLimited, PolicyLimited, nil},
		{10 * gib, StateLimited, PolicyLimited, nil},
		{10*gib - 1, StateWarning, PolicyStandard, []string{"warn"}},
		{11 * gib, StateLimited, PolicyLimited, []string{"limit"}},
		{1 * gib, StateNormal, PolicyStandard, nil},
	}
	for i, s := range steps {
		e := Evaluate(p, "12-34", s.used, prev)
		if e.State != s.state || e.WantPolicy != s.policy || !reflect.DeepEqual(noticeKinds(e), s.sent) {
			t.Fatalf("step %d: got %s %s %v, want %s %s %v", i, e.State, e.WantPolicy, noticeKinds(e), s.state, s.policy, s.sent)
		}
		if e.NeedsPolicyChange() != (prev.Policy != s.policy) {
			t.Fatalf("step %d: NeedsPolicyChange %v with prev %s", i, e.NeedsPolicyChange(), prev.Policy)
		}
		prev = e.Next
		for _, n := range e.Notices {
			prev = prev.MarkNotified(n.Kind)
		}
		prev.Policy = e.WantPolicy
	}
}

func TestEvaluateUnsentNoticeStaysDue(t *testing.T) {
	p := usageProduct(t, 10)
	e := Evaluate(p, "u", 11*gib, AccountState{})
	if e.Next.LimitNotified {
		t.Fatal("a due notice must not be recorded as sent")
	}
	if e2 := Evaluate(p, "u", 11*gib, e.Next); len(e2.Notices) != 1 {
		t.Fatalf("an unconfirmed limit notice is not due again: %v", noticeKinds(e2))
	}
}

func TestEvaluateNoTemplateNoNotice(t *testing.T) {
	p := usageProduct(t, 10)
	p.WarnTemplate, p.LimitTemplate = "", ""
	for _, u := range []int64{9 * gib, 10 * gib} {
		if e := Evaluate(p, "u", u, AccountState{}); len(e.Notices) != 0 {
			t.Fatalf("notices without templates: %v", noticeKinds(e))
		}
	}
}

func TestEvaluateUnlimitedNeverLimits(t *testing.T) {
	p := usageProduct(t, 0)
	prev := AccountState{Warned: true, LimitNotified: true, Policy: PolicyLimited}
	e := Evaluate(p, "u", 1<<50, prev)
	if e.State != StateNormal || e.WantPolicy != PolicyStandard || len(e.Notices) != 0 || e.LimitBytes != 0 || e.Percent != 0 {
		t.Fatalf("unlimited product: %+v", e)
	}
	if e.Next.Warned || e.Next.LimitNotified || e.Next.Policy != PolicyLimited {
		t.Fatalf("unlimited product: next %+v", e.Next)
	}
	if !e.NeedsPolicyChange() {
		t.Fatal("a limited user on an unlimited product must get the standard policy back")
	}
}

func TestEvaluateForcedOverridesPolicyOnly(t *testing.T) {
	p := usageProduct(t, 10)
	e := Evaluate(p, "u", 11*gib, AccountState{Forced: PolicyStandard})
	if e.WantPolicy != PolicyStandard || e.State != StateLimited || len(e.Notices) != 1 || e.Next.Forced != PolicyStandard {
		t.Fatalf("forced standard over the limit: %+v", e)
	}
	e = Evaluate(p, "u", 1*gib, AccountState{Forced: PolicyLimited})
	if e.WantPolicy != PolicyLimited || e.State != StateNormal {
		t.Fatalf("forced limited under the limit: %+v", e)
	}
	e = Evaluate(usageProduct(t, 0), "u", 1*gib, AccountState{Forced: PolicyLimited})
	if e.WantPolicy != PolicyLimited {
		t.Fatalf("forced limited on an unlimited product: %+v", e)
	}
}

func TestNoticeVars(t *testing.T) {
	p := usageProduct(t, 10)
	p.WarnPercent = 50
	e := Evaluate(p, "12-34", 5*gib, AccountState{})
	if len(e.Notices) != 1 {
		t.Fatalf("notices %v", noticeKinds(e))
	}
	want := map[string]string{
		"username":             "12-34",
		"disk_limit_bytes":     "10737418240",
		"unit_coefficient":     "0.000000000931322574615478515625",
		"disk_used_unit":       "5.00",
		"disk_free_unit":       "5.00",
		"disk_used_percentage": "50.00",
		"disk_free_percentage": "50.00",
		"unit":                 "GB",
	}
	if got := e.Notices[0].Vars; !reflect.DeepEqual(got, want) {
		t.Fatalf("vars\n got %v\nwant %v", got, want)
	}
	over := Evaluate(p, "12-34", 15*gib, AccountState{}).Notices[0].Vars
	if over["disk_free_unit"] != "0.00" || over["disk_free_percentage"] != "0.00" || over["disk_used_percentage"] != "150.00" {
		t.Fatalf("over the limit: %v", over)
	}
}

func TestUnitCoefficientIsExact(t *testing.T) {
	for _, u := range []string{"MB", "GB", "TB", "PB"} {
		p := &Product{Unit: u}
		c, ok := new(big.Rat).SetString(unitCoefficient(p.UnitBytes()))
		if !ok || c.Mul(c, new(big.Rat).SetInt64(p.UnitBytes())).Cmp(big.NewRat(1, 1)) != 0 {
			t.Fatalf("%s: %s * %d != 1", u, unitCoefficient(p.UnitBytes()), p.UnitBytes())
		}
	}
}

func TestToMB(t *testing.T) {
	for in, want := range map[int64]int64{-5: 0, 0: 0, 1: 0, 1<<19 - 1: 0, 1 << 19: 1, 1 << 20: 1, 5 * gib: 5120, 1<<63 - 1: 1 << 43} {
		if got := ToMB(in); got != want {
			t.Errorf("ToMB(%d) = %d, want %d", in, got, want)
		}
	}
}
