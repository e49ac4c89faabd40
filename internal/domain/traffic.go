package domain

import (
	"net/http"
	"strconv"
	"time"
)

// Unattributed is the service that traffic belonging to no WHMCS service is
// counted under, so that the totals of a server still add up: the
// provider's own requests, anonymous requests refused by a tenant's bucket,
// buckets outside every tenant's namespace, and anything ambiguous.
const Unattributed int64 = 0

// TrafficRecord is one S3 request as metered: who made it, on which bucket,
// and its bytes. Key identifies the request across redeliveries of the same
// record (equal keys are the same request); At is when it ended.
type TrafficRecord struct {
	Key        uint64
	At         time.Time
	Bucket     string // "" for a request on no bucket (ListBuckets, STS, admin)
	AccessKey  string // the key that signed it; "" for an anonymous request
	ParentUser string // the user owning AccessKey when it is an access key (service account)
	StatusCode int
	Ingress    int64 // request body bytes
	Egress     int64 // response body bytes
	Headers    int64 // response header bytes, as MinIO estimates them
}

// Traffic is a sum of metered requests.
type Traffic struct {
	Ingress  int64 `json:"ingress"`  // request body bytes
	Egress   int64 `json:"egress"`   // response body bytes: the billed figure
	Headers  int64 `json:"headers"`  // response header bytes (MinIO's estimate; not billed)
	Requests int64 `json:"requests"` // requests, failed ones included
}

// Add adds o to t.
func (t *Traffic) Add(o Traffic) {
	t.Ingress += o.Ingress
	t.Egress += o.Egress
	t.Headers += o.Headers
	t.Requests += o.Requests
}

// HourlyTraffic is one bucket's traffic in one hour as a server sums it
// itself (Ceph RGW's usage log), charged to the account its owner's name
// says. Requests counts failed ones too; Headers stays 0 (RGW does not
// measure them).
type HourlyTraffic struct {
	Hour time.Time // the hour's start, UTC
	// Service and User are the account the owner's name says; Service is
	// Unattributed for an owner that is none of the module's.
	Service int64
	User    string
	Bucket  string // "" for requests on no bucket (ListBuckets)
	Traffic
}

// HourlyCount says what counting a read of hourly traffic did.
type HourlyCount struct {
	Counted int // bucket-hours added to the counters
	Skipped int // bucket-hours of hours counted before
}

// TrafficDay is one UTC day of a service's traffic.
type TrafficDay struct {
	Day time.Time // 00:00 UTC
	Traffic
}

// TrafficMonth is one UTC calendar month of a service's traffic.
type TrafficMonth struct {
	Month time.Time // 00:00 UTC on the first
	Traffic
}

// BucketTraffic is one bucket's share of a service's traffic; Bucket is ""
// for requests on no bucket (ListBuckets).
type BucketTraffic struct {
	Bucket string
	Traffic
}

// MonthStart returns 00:00 UTC on the first of t's month (in UTC): traffic
// is counted, billed and allowed per UTC calendar month.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// periodLayout writes a month as usage.notified gives it back.
const periodLayout = "2006-01"

// Period names the UTC month holding t, e.g. "2026-11".
func Period(t time.Time) string { return MonthStart(t).Format(periodLayout) }

// ParsePeriod reads a month written by Period.
func ParsePeriod(s string) (time.Time, error) {
	t, err := time.Parse(periodLayout, s)
	if err != nil || t.Year() < 2000 || t.Format(periodLayout) != s {
		return time.Time{}, Errorf(EINVALID, "period must be a month written YYYY-MM, not %q", Printable(s))
	}
	return t, nil
}

// EgressEvaluation is the verdict on one service's traffic in the month so
// far against its product's egress allowance.
type EgressEvaluation struct {
	Month          time.Time // 00:00 UTC on the first
	Traffic        Traffic   // the month so far
	AllowanceBytes int64     // 0: no allowance, or traffic not measured
	Percent        float64   // egress in percent of the allowance
	Over           bool      // egress is at or above the allowance
	Notice         *Notice   // the egress email due now, if any
	Next           AccountState
}

// EvaluateEgress judges the month's traffic t (the month holding now)
// against p's egress allowance, given what was remembered from the
// previous run. The warning is sent once per crossing, like the disk
// warning:
//   - it is due when egress is at or above the allowance, the product
//     names an email template, and no warning for this month was
//     confirmed sent (prev.EgressNotified is another month or zero);
//   - Next.EgressNotified keeps its value, except that it re-arms (becomes
//     zero) while egress is under the allowance: at the start of every
//     month, and when a change of package raised the allowance above what
//     was used. A due notice does not set it: AccountState.MarkEgressNotified
//     does once the shim confirms the email (usage.notified), so a failed
//     email is due again on the next run and a sent one never twice.
//
// A product that does not measure traffic, or has no allowance, never
// warns and re-arms.
func EvaluateEgress(p *Product, username string, t Traffic, now time.Time, prev AccountState) EgressEvaluation {
	e := EgressEvaluation{Month: MonthStart(now), Traffic: t, AllowanceBytes: p.EgressAllowanceBytes(), Next: prev}
	if e.AllowanceBytes <= 0 {
		e.AllowanceBytes = 0
		e.Next.EgressNotified = time.Time{}
		return e
	}
	e.Percent = percentOf(max(t.Egress, 0), e.AllowanceBytes)
	e.Over = t.Egress >= e.AllowanceBytes
	if !e.Over {
		e.Next.EgressNotified = time.Time{}
		return e
	}
	if !prev.EgressNotified.Equal(e.Month) && p.EgressTemplate != "" {
		e.Notice = &Notice{Kind: NoticeEgress, Template: p.EgressTemplate, Period: Period(e.Month), Vars: egressVars(username, e)}
	}
	return e
}

// MarkEgressNotified returns s with the egress warning of month recorded as
// sent. A month older than the one recorded leaves s as it is: a late
// confirmation never undoes a newer one.
func (s AccountState) MarkEgressNotified(month time.Time) AccountState {
	if m := MonthStart(month); m.After(s.EgressNotified) {
		s.EgressNotified = m
	}
	return s
}

// egressVars are the merge variables of the egress email, in GB (2^30
// bytes, as the allowance is given) with two decimals.
func egressVars(username string, e EgressEvaluation) map[string]string {
	gb := func(b int64) string { return fixed2(float64(max(b, 0)) / (1 << 30)) }
	return map[string]string{
		"username":               username,
		"traffic_month":          Period(e.Month),
		"egress_used_gb":         gb(e.Traffic.Egress),
		"egress_allowance_gb":    gb(e.AllowanceBytes),
		"egress_used_percentage": fixed2(e.Percent),
		"ingress_used_gb":        gb(e.Traffic.Ingress),
		"requests":               strconv.FormatInt(e.Traffic.Requests, 10),
	}
}

// ServicesOf returns the WHMCS services of one server whose MinIO user is
// user. One service is the rule; none means the user is not a tenant (the
// root user, an admin key, a user made outside WHMCS); more than one means
// the store holds a conflict, which attribution must not guess at.
type ServicesOf func(user string) []int64

// AttributeTraffic returns the service a request's traffic is billed to,
// or Unattributed. It never guesses: a request goes to a tenant only when a
// single service is sure to be the right one.
//
// A request on a bucket is billed to the bucket's owner (the user whose
// namespace holds it, see OwnsBucket), as S3 bills the bucket owner:
// requests made with the owner's keys, anonymous requests the owner's
// bucket policy lets through, and another tenant's requests the owner's
// bucket policy allowed. Two kinds are not the owner's:
//   - a request refused with 403 made by anyone but the owner: the owner
//     did not allow it, so it is billed to the requester when that is a
//     tenant and is unattributed otherwise (as S3 no longer bills owners
//     for refused requests from outside their account);
//   - a request signed by a user who is not a tenant (the root user,
//     puqminio's own admin key, the exact usage scan): the provider's own
//     traffic, unattributed.
//
// A request on no bucket, or on a bucket in no tenant's namespace, is
// billed to the requester when that is a tenant. The requester of an access
// key (service account) is its parent user.
func AttributeTraffic(r TrafficRecord, services ServicesOf) int64 {
	requester := r.ParentUser
	if requester == "" {
		requester = r.AccessKey
	}
	var byRequester int64 = Unattributed
	if requester != "" {
		if ids := services(requester); len(ids) == 1 {
			byRequester = ids[0]
		}
	}
	if r.Bucket == "" {
		return byRequester
	}
	owner, found, ambiguous := bucketOwner(r.Bucket, services)
	switch {
	case ambiguous:
		return Unattributed
	case !found:
		return byRequester
	case requester == "":
		if r.StatusCode == http.StatusForbidden {
			return Unattributed
		}
		return owner
	case byRequester == owner:
		return owner
	case r.StatusCode == http.StatusForbidden:
		return byRequester
	case byRequester != Unattributed:
		return owner
	}
	return Unattributed
}

// bucketOwner finds the service whose user's namespace holds bucket: the
// user named bucket or any prefix of it that ends before a hyphen. found
// is false when no tenant's namespace holds it; ambiguous is true when
// more than one service could own it (overlapping names that predate the
// overlap check, or a user name recorded twice).
func bucketOwner(bucket string, services ServicesOf) (owner int64, found, ambiguous bool) {
	check := func(user string) {
		for _, id := range services(user) {
			if found && id != owner {
				ambiguous = true
			}
			owner, found = id, true
		}
	}
	check(bucket)
	for k := len(bucket) - 1; k > 0; k-- {
		if bucket[k] == '-' {
			check(bucket[:k])
		}
	}
	if ambiguous {
		return Unattributed, true, true
	}
	return owner, found, false
}
