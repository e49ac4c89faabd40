package domain

import "time"

// Account is what the usage store keeps about one WHMCS service on one
// server.
//
// Username is recorded before any change on the server on create, so that
// a retried create reuses the same name. It is empty when the row was first
// written by a usage run or an admin action rather than by a create (a
// service older than the database); callers treat an empty Username as
// "not recorded".
type Account struct {
	ServerID  int64
	ServiceID int64
	Username  string
	Group     string
	State     AccountState
	CreatedAt time.Time // set on first save, never changed after
	CheckedAt time.Time // the last usage run that measured it; zero if none
	// Suspended: the account is suspended; its bucket policies are
	// withheld until unsuspend.
	Suspended bool
	// Terminating: terminate has begun; usage runs leave the account alone.
	Terminating bool
}

// WithheldPolicy is a bucket policy the module took off a tenant's bucket
// (on suspend or at the disk limit), kept to be put back.
type WithheldPolicy struct {
	Bucket string
	Policy string // as MinIO returned it
	Reason string // WithheldSuspended or WithheldLimited
	At     time.Time
}

// Why a bucket policy is withheld.
const (
	WithheldSuspended = "suspended"
	WithheldLimited   = "limited"
	// WithheldProduct: the product (after a change of package) does not
	// let tenants publish; it comes back on a product that does.
	WithheldProduct = "product"
)

// AccountChange names the stored fields of an account that an action
// changes. Fields left nil (or "") keep their stored value, so that an
// admin's click and a usage run working on the same account at once never
// undo each other's changes.
type AccountChange struct {
	// Username is recorded when the row is new or has no user name yet.
	Username string
	Group    *string
	Policy   PolicyState // the policy now applied on the server; "" keeps it
	// PolicySig is the digest of what that policy was written from
	// (Product.PolicySignature); "" keeps it.
	PolicySig   string
	Forced      *PolicyState
	Suspended   *bool
	Terminating *bool
}

// Sample is one measurement of one service's storage.
type Sample struct {
	ServiceID int64
	At        time.Time // kept to the second
	Bytes     int64
	Objects   int64
	Versions  int64
	Source    string // UsageScanner or UsageExact
	// Buckets are the figures per bucket, which the pages show; nil when
	// the measurement did not read them (the stored ones stay).
	Buckets []Bucket
}

// DayUsage is one UTC day of a service's usage, for charts.
type DayUsage struct {
	Day       time.Time // 00:00 UTC
	AvgBytes  int64     // mean of the day's samples
	MaxBytes  int64
	LastBytes int64
}

// MonthUsage is one UTC calendar month of a service's usage, for charts.
type MonthUsage struct {
	Month    time.Time // 00:00 UTC on the first
	AvgBytes int64     // mean of the daily means, so each day weighs the same
	MaxBytes int64
	Days     int // days with samples
}

// GroupCheck is the last check of a product group: the policies it
// grants its members and, when it may not be used, why.
type GroupCheck struct {
	Group     string
	Policies  []string
	Problem   string // "" when tenants may be put in the group
	CheckedAt time.Time
}
