package domain

import (
	"reflect"
	"testing"
	"time"
)

func TestAttributeTraffic(t *testing.T) {
	users := map[string][]int64{
		"12-34": {34}, // tenant A
		"12-35": {35}, // tenant B
		"7-8":   {8},
		"7-8-9": {9},      // overlaps 7-8 (older than the overlap check)
		"dup":   {40, 41}, // recorded twice
	}
	services := func(u string) []int64 { return users[u] }
	for _, tc := range []struct {
		name string
		r    TrafficRecord
		want int64
	}{
		{"own bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "12-34", StatusCode: 200}, 34},
		{"bucket named as the user", TrafficRecord{Bucket: "12-34", AccessKey: "12-34", StatusCode: 200}, 34},
		{"own access key", TrafficRecord{Bucket: "12-34-data", AccessKey: "AKEXAMPLE", ParentUser: "12-34", StatusCode: 206}, 34},
		{"own failure", TrafficRecord{Bucket: "12-34-data", AccessKey: "12-34", StatusCode: 404}, 34},
		{"anonymous on a public bucket", TrafficRecord{Bucket: "12-35-pub", StatusCode: 200}, 35},
		{"anonymous missing object on a public bucket", TrafficRecord{Bucket: "12-35-pub", StatusCode: 404}, 35},
		{"anonymous refused", TrafficRecord{Bucket: "12-35-data", StatusCode: 403}, Unattributed},
		{"other tenant refused", TrafficRecord{Bucket: "12-35-data", AccessKey: "12-34", StatusCode: 403}, 34},
		{"other tenant allowed by bucket policy", TrafficRecord{Bucket: "12-35-data", AccessKey: "12-34", StatusCode: 200}, 35},
		{"root on a tenant bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "puqadmin", StatusCode: 200}, Unattributed},
		{"root refused on a tenant bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "puqadmin", StatusCode: 403}, Unattributed},
		{"no bucket", TrafficRecord{AccessKey: "12-34", StatusCode: 200}, 34},
		{"no bucket, access key", TrafficRecord{AccessKey: "AK", ParentUser: "12-35", StatusCode: 200}, 35},
		{"no bucket, root", TrafficRecord{AccessKey: "puqadmin", StatusCode: 200}, Unattributed},
		{"no bucket, anonymous", TrafficRecord{StatusCode: 403}, Unattributed},
		{"foreign bucket", TrafficRecord{Bucket: "backups", AccessKey: "12-34", StatusCode: 403}, 34},
		{"foreign bucket, anonymous", TrafficRecord{Bucket: "backups", StatusCode: 200}, Unattributed},
		{"prefix without hyphen is not the namespace", TrafficRecord{Bucket: "12-345", AccessKey: "12-345", StatusCode: 200}, Unattributed},
		{"overlapping owners", TrafficRecord{Bucket: "7-8-9-data", AccessKey: "7-8-9", StatusCode: 200}, Unattributed},
		{"only the shorter owner", TrafficRecord{Bucket: "7-8-x", AccessKey: "7-8", StatusCode: 200}, 8},
		{"user recorded twice", TrafficRecord{Bucket: "dup-data", AccessKey: "dup", StatusCode: 200}, Unattributed},
		{"requester recorded twice, no bucket", TrafficRecord{AccessKey: "dup", StatusCode: 200}, Unattributed},
	} {
		if got := AttributeTraffic(tc.r, services); got != tc.want {
			t.Errorf("%s: service %d, want %d", tc.name, got, tc.want)
		}
	}
}

func egressProduct(t *testing.T, gb float64, template string) *Product {
	t.Helper()
	p := &Product{Traffic: true, EgressAllowanceGB: gb, EgressTemplate: template}
	if err := p.Normalize(); err != nil {
		t.Fatal(err)
	}
	return p
}

// egressRun plays (time, month's egress) steps, confirming each due email
// as the shim would (usage.notified with the notice's period), and returns
// the periods warned about at each step.
func egressRun(p *Product, prev AccountState, steps ...egressStep) ([]string, AccountState) {
	var sent []string
	for _, s := range steps {
		e := EvaluateEgress(p, "12-34", Traffic{Egress: s.egress}, s.at, prev)
		prev = e.Next
		got := ""
		if e.Notice != nil {
			got = e.Notice.Period
			if !s.fails {
				m, err := ParsePeriod(e.Notice.Period)
				if err != nil {
					panic(err)
				}
				prev = prev.MarkEgressNotified(m)
			}
		}
		sent = append(sent, got)
	}
	return sent, prev
}

type egressStep struct {
	at     time.Time
	egress int64
	fails  bool // the email is not sent
}

func TestEvaluateEgressOncePerCrossingRearmedNextMonth(t *testing.T) {
	p := egressProduct(t, 10, "puqMinIOS3 Notification egress allowance")
	nov := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	dec := func(d int) time.Time { return time.Date(2026, 12, d, 12, 0, 0, 0, time.UTC) }
	sent, last := egressRun(p, AccountState{},
		egressStep{nov(1), 2 * gib, false},
		egressStep{nov(10), 10*gib - 1, false},
		egressStep{nov(11), 10 * gib, true},  // crossed; the email fails
		egressStep{nov(12), 11 * gib, false}, // still due: sent now
		egressStep{nov(20), 15 * gib, false}, // not again this month
		egressStep{nov(30), 40 * gib, false},
		egressStep{dec(1), 0, false},        // a new month re-arms
		egressStep{dec(2), 12 * gib, false}, // and warns again
		egressStep{dec(3), 13 * gib, false},
	)
	want := []string{"", "", "2026-11", "2026-11", "", "", "", "2026-12", ""}
	if !reflect.DeepEqual(sent, want) {
		t.Fatalf("warned %q, want %q", sent, want)
	}
	if !last.EgressNotified.Equal(MonthStart(dec(3))) {
		t.Errorf("remembered %v", last.EgressNotified)
	}

	// Over already at the first run of a month: the month stamp, not a
	// run below the allowance, re-arms.
	sent, _ = egressRun(p, AccountState{}, egressStep{nov(30), 20 * gib, false}, egressStep{dec(1), 20 * gib, false}, egressStep{dec(2), 21 * gib, false})
	if want := []string{"2026-11", "2026-12", ""}; !reflect.DeepEqual(sent, want) {
		t.Errorf("warned %q, want %q", sent, want)
	}

	// A package change that raises the allowance above the month's egress
	// re-arms within the month: the next crossing warns again.
	bigger := egressProduct(t, 50, p.EgressTemplate)
	_, st := egressRun(p, AccountState{}, egressStep{nov(5), 12 * gib, false})
	e := EvaluateEgress(bigger, "12-34", Traffic{Egress: 12 * gib}, nov(6), st)
	if e.Notice != nil || !e.Next.EgressNotified.IsZero() {
		t.Fatalf("under the raised allowance: %+v", e)
	}
	if e = EvaluateEgress(bigger, "12-34", Traffic{Egress: 50 * gib}, nov(7), e.Next); e.Notice == nil {
		t.Error("the crossing of the raised allowance did not warn")
	}
}

// A confirmation that arrives after midnight marks the month the notice was
// about, so the new month still warns when it crosses.
func TestEgressNoticeConfirmedAfterMonthEnd(t *testing.T) {
	p := egressProduct(t, 1, "egress")
	late := time.Date(2026, 11, 30, 23, 59, 0, 0, time.UTC)
	e := EvaluateEgress(p, "u", Traffic{Egress: 2 * gib}, late, AccountState{})
	if e.Notice == nil || e.Notice.Period != "2026-11" {
		t.Fatalf("notice %+v", e.Notice)
	}
	m, _ := ParsePeriod(e.Notice.Period)
	st := e.Next.MarkEgressNotified(m) // confirmed at 00:00:05 on 1 December
	if e := EvaluateEgress(p, "u", Traffic{Egress: 2 * gib}, late.Add(time.Hour), st); e.Notice == nil || e.Notice.Period != "2026-12" {
		t.Fatalf("December's crossing: %+v", e.Notice)
	}
	// An old confirmation never moves the mark back.
	newer := AccountState{}.MarkEgressNotified(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if got := newer.MarkEgressNotified(m); !got.EgressNotified.Equal(newer.EgressNotified) {
		t.Errorf("moved back to %v", got.EgressNotified)
	}
}

func TestEvaluateEgressWithoutAllowanceOrTemplate(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	marked := AccountState{EgressNotified: MonthStart(now)}
	for name, p := range map[string]*Product{
		"no allowance":       egressProduct(t, 0, "egress"),
		"not measured":       {EgressAllowanceGB: 1, EgressTemplate: "egress"},
		"no template (over)": egressProduct(t, 1, ""),
	} {
		if err := p.Normalize(); err != nil {
			t.Fatal(err)
		}
		e := EvaluateEgress(p, "u", Traffic{Egress: 5 * gib}, now, marked)
		if e.Notice != nil {
			t.Errorf("%s: notice %+v", name, e.Notice)
		}
		if name != "no template (over)" && (!e.Next.EgressNotified.IsZero() || e.Over || e.AllowanceBytes != 0) {
			t.Errorf("%s: %+v", name, e)
		}
	}
}

func TestEgressNoticeVars(t *testing.T) {
	p := egressProduct(t, 10, "egress")
	e := EvaluateEgress(p, "12-34", Traffic{Egress: 15 * gib, Ingress: gib / 4, Requests: 1234}, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), AccountState{})
	want := map[string]string{"username": "12-34", "traffic_month": "2026-11", "egress_used_gb": "15.00", "egress_allowance_gb": "10.00",
		"egress_used_percentage": "150.00", "ingress_used_gb": "0.25", "requests": "1234"}
	if e.Notice == nil || !reflect.DeepEqual(e.Notice.Vars, want) || e.Notice.Kind != NoticeEgress || e.Notice.Template != "egress" {
		t.Fatalf("notice %+v", e.Notice)
	}
}

func TestParsePeriod(t *testing.T) {
	if m, err := ParsePeriod("2026-11"); err != nil || !m.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2026-11: %v %v", m, err)
	}
	for _, bad := range []string{"", "2026-13", "2026-1", "26-11", "2026-11-01", "1999-12", "2026-11\n", "２０２６-11"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
