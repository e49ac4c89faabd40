package domain

import (
	"strconv"
	"time"
)

// PolicyState names which of a product's two policies a user holds.
type PolicyState string

// Policy states. The empty PolicyState means "not known yet" (a new account)
// in AccountState.Policy and "not forced" in AccountState.Forced.
const (
	PolicyStandard PolicyState = "standard" // the product's standard policy
	PolicyLimited  PolicyState = "limited"  // the product's disk-limit policy
)

// UsageState is how a service's disk usage compares with its product.
type UsageState string

// Usage states, as the bridge reports them.
const (
	StateNormal  UsageState = "normal"  // below the warning percentage, or unlimited
	StateWarning UsageState = "warning" // at or above the warning percentage, below the limit
	StateLimited UsageState = "limited" // at or above the limit
)

// Notice kinds, as usage.notified reports them back.
const (
	NoticeWarn   = "warn"
	NoticeLimit  = "limit"
	NoticeEgress = "egress" // the month's egress passed the product's allowance
)

// AccountState is what is remembered about an account between runs. The
// flags record emails that were confirmed sent, Policy the policy last
// confirmed applied on MinIO ("" when unknown) and Forced the admin's
// override ("" when usage decides).
type AccountState struct {
	Warned        bool
	LimitNotified bool
	Policy        PolicyState
	Forced        PolicyState
	// PolicySig is the digest of what Policy's document was written from
	// (Product.PolicySignature): when it differs from what the product
	// gives now, the document is written again.
	PolicySig string
	// EgressNotified is the month (00:00 UTC on its first) whose egress
	// warning was confirmed sent; zero when none is, or egress went back
	// under the allowance since (see EvaluateEgress).
	EgressNotified time.Time
}

// Notice is an email that is due: the WHMCS template to send and its merge
// variables.
type Notice struct {
	Kind     string            `json:"kind"` // NoticeWarn, NoticeLimit or NoticeEgress
	Template string            `json:"template"`
	Vars     map[string]string `json:"vars"`
	// Period is the month an egress notice is about ("2026-11"), which
	// usage.notified gives back: a notice decided on the last evening of
	// a month and confirmed after midnight still marks its own month.
	Period string `json:"period,omitempty"`
}

// Evaluation is the verdict on one service's usage. WantPolicy is the policy
// the user should hold; Notices are the emails due now; Next is the state to
// remember once the run is recorded.
type Evaluation struct {
	UsedBytes  int64
	LimitBytes int64 // 0 for an unlimited product
	Percent    float64
	State      UsageState
	WantPolicy PolicyState
	Notices    []Notice
	Next       AccountState
}

// NeedsPolicyChange reports whether the policy the user should hold differs
// from the one last confirmed applied, so the caller knows to call MinIO.
func (e Evaluation) NeedsPolicyChange() bool {
	return e.WantPolicy != e.Next.Policy
}

// NeedsPolicyWrite reports whether the user's policy document must be
// written: the policy changes, or the document it holds was written from
// other inputs than p gives now (a product edited, new guards).
func (e Evaluation) NeedsPolicyWrite(p *Product) bool {
	return e.NeedsPolicyChange() || e.Next.PolicySig != p.PolicySignature(e.WantPolicy)
}

// Evaluate judges used bytes against p's limit, given what was remembered
// from the previous run.
//
// Next records facts, never intentions, so that a failure part-way never
// loses an email or leaves a wrong policy in place:
//   - Next.Warned and Next.LimitNotified keep their previous values, except
//     that they re-arm (become false) once usage is back below the warning
//     percentage or the limit. A due notice does not set them: MarkNotified
//     does when the shim confirms the email went out (usage.notified), so a
//     failed email is due again on the next run and a sent one never twice.
//   - Next.Policy stays prev.Policy: the caller sets it once MinIO accepted
//     WantPolicy.
//   - Next.Forced stays prev.Forced; only the admin changes it.
//
// A forced policy decides WantPolicy but not State or Notices, which
// describe usage. An unlimited product (limit 0) is always normal, wants the
// standard policy and never sends notices.
func Evaluate(p *Product, username string, used int64, prev AccountState) Evaluation {
	if used < 0 {
		used = 0
	}
	e := Evaluation{
		UsedBytes:  used,
		LimitBytes: p.LimitBytes(),
		State:      StateNormal,
		WantPolicy: PolicyStandard,
		Next:       prev,
	}
	warnAt := p.WarnPercent
	if warnAt <= 0 {
		warnAt = DefaultWarnPercent
	}
	switch {
	case e.LimitBytes <= 0:
		// No thresholds: re-arm both, so that a later upgrade to a limited
		// product warns afresh.
		e.LimitBytes = 0
		e.Next.Warned, e.Next.LimitNotified = false, false
	case used >= e.LimitBytes:
		e.Percent = percentOf(used, e.LimitBytes)
		e.State = StateLimited
		e.WantPolicy = PolicyLimited
		if !prev.LimitNotified && p.LimitTemplate != "" {
			e.Notices = append(e.Notices, Notice{Kind: NoticeLimit, Template: p.LimitTemplate, Vars: noticeVars(p, username, used, e.LimitBytes)})
		}
	default:
		e.Percent = percentOf(used, e.LimitBytes)
		e.Next.LimitNotified = false
		// Compare products, not the rounded quotient, so that exactly 90%
		// of 10 GB counts as 90%.
		if float64(used)*100 >= float64(warnAt)*float64(e.LimitBytes) {
			e.State = StateWarning
			if !prev.Warned && p.WarnTemplate != "" {
				e.Notices = append(e.Notices, Notice{Kind: NoticeWarn, Template: p.WarnTemplate, Vars: noticeVars(p, username, used, e.LimitBytes)})
			}
		} else {
			e.Next.Warned = false
		}
	}
	if prev.Forced != "" {
		e.WantPolicy = prev.Forced
	}
	return e
}

// MarkNotified returns s with the flag of a sent notice of kind set. An
// unknown kind leaves s as it is.
func (s AccountState) MarkNotified(kind string) AccountState {
	switch kind {
	case NoticeWarn:
		s.Warned = true
	case NoticeLimit:
		s.LimitNotified = true
	}
	return s
}

func percentOf(used, limit int64) float64 {
	return float64(used) / float64(limit) * 100
}

// noticeVars builds the merge variables the reference product's templates
// use. unit_coefficient is 1/UnitBytes written out exactly (a power of two
// has a finite decimal expansion), so that a template's
// {$disk_limit_bytes*$unit_coefficient} gives the limit in the unit.
func noticeVars(p *Product, username string, used, limit int64) map[string]string {
	unit := p.UnitBytes()
	if unit <= 0 {
		unit = 1 << 30
	}
	free := max(limit-used, 0)
	pct := percentOf(used, limit)
	return map[string]string{
		"username":             username,
		"disk_limit_bytes":     strconv.FormatInt(limit, 10),
		"unit_coefficient":     unitCoefficient(unit),
		"disk_used_unit":       fixed2(float64(used) / float64(unit)),
		"disk_free_unit":       fixed2(float64(free) / float64(unit)),
		"disk_used_percentage": fixed2(pct),
		"disk_free_percentage": fixed2(max(100-pct, 0)),
		"unit":                 p.Unit,
	}
}

// unitCoefficient writes 1/unit in full. For unit = 2^n the exact value
// has n decimals; float64 holds it exactly and FormatFloat prints it exactly.
func unitCoefficient(unit int64) string {
	digits := 0
	for u := unit; u > 1; u >>= 1 {
		digits++
	}
	return strconv.FormatFloat(1/float64(unit), 'f', digits, 64)
}

// fixed2 formats with two decimals and a "." point, whatever the locale.
func fixed2(f float64) string {
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// bytesPerMB is WHMCS's megabyte: diskusage and disklimit are in MiB.
const bytesPerMB = 1 << 20

// ToMB converts bytes to WHMCS megabytes (1,048,576 bytes), rounding half
// up. Negative input gives 0.
func ToMB(bytes int64) int64 {
	if bytes <= 0 {
		return 0
	}
	mb := bytes / bytesPerMB
	if bytes%bytesPerMB >= bytesPerMB/2 {
		mb++
	}
	return mb
}

// ParsePolicyMode reads what an admin asks of an account's policy: "auto"
// (or "") lets usage decide again, and "standard" or "limited" forces that
// policy until the next "auto". It returns the forced policy, "" for auto.
func ParsePolicyMode(mode string) (PolicyState, error) {
	switch mode {
	case "", "auto":
		return "", nil
	case string(PolicyStandard), string(PolicyLimited):
		return PolicyState(mode), nil
	}
	return "", Errorf(EINVALID, "params.mode must be auto, standard or limited, not %q", Printable(mode))
}

// UsageDue reports whether a service last measured at checkedAt (zero:
// never) is due for a measurement at now under its product's re-check
// interval. It is our own time of the run that counts, not the age of the
// server's figures: a scanner that lags would otherwise make every check
// measure again.
func (p *Product) UsageDue(checkedAt, now time.Time) bool {
	if checkedAt.IsZero() {
		return true
	}
	return now.Sub(checkedAt) >= time.Duration(p.CheckIntervalMinutes)*time.Minute
}
