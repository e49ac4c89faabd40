package view

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Pages of the client area for self-service.
const (
	PageKeys   = "keys"   // the access keys
	PageBucket = "bucket" // one bucket's settings
)

// Self is what the client area lets a tenant change (issue 13). Every
// change is a form that posts WHMCS's CSRF token to the module's custom
// function for its action; the binary decides whether it is allowed.
type Self struct {
	Prefix     string // the user name: a new bucket is "<Prefix>-<name>"
	MaxBuckets int
	MaxKeys    int
	ObjectLock bool // the product permits object lock: offered when a bucket is made
	Public     bool // the product permits public read
	Suspended  bool // the service is suspended: nothing can be changed but revoking keys
	Full       bool // the account is at its disk limit: no new buckets
	// ActionURLs maps a bridge action ("bucket.create", ...) to the URL its
	// form posts to; an action without one is not offered.
	ActionURLs map[string]string
	CSRF       string // WHMCS's token, posted as "token"
	KeysURL    string // the access keys page
	// BucketURL is a bucket's settings page without the bucket: its name,
	// escaped, is appended (the URL ends with "…puqs3bucket=").
	BucketURL string
	Keys      []Key     // the access keys page's keys
	NewKey    *NewKey   // the key just made: its secret is shown this once
	Bucket    *Settings // the bucket page's bucket
	// BucketUnavailable says the bucket's settings could not be read.
	BucketUnavailable bool
	Now               time.Time // the keys' state and the expiry picker's range
}

// Key is an access key the client area made.
type Key struct {
	AccessKey string
	Label     string
	Buckets   []string // none: every bucket
	ReadOnly  bool
	Expires   time.Time // zero: never
	Created   time.Time
}

// NewKey is the key just made, with its secret.
type NewKey struct {
	AccessKey string
	SecretKey string
	Expires   time.Time
}

// Settings is a bucket's settings as the bucket page shows them.
type Settings struct {
	Name           string
	Empty          bool   // holds no object version: deleted without typing its name
	Versioning     string // "", "Enabled" or "Suspended"
	ObjectLock     bool
	ExpireDays     int
	NoncurrentDays int
	OtherRules     int // lifecycle rules set with S3 tools, kept as they are
	Public         bool
	PublicPrefix   string
	PublicModule   bool   // the client area's public read (else a policy set elsewhere)
	PublicWithheld string // "", "suspended", "limited" or "product"
	PublicURL      string // where anonymous downloads start: endpoint/bucket/prefix
}

// selfView is Self ready for the templates.
type selfView struct {
	*Self
	l *locale
}

// On reports whether the page offers self-service at all.
func (s selfView) On() bool { return s.Self != nil }

// KeysLink is the access keys page, "" without self-service.
func (s selfView) KeysLink() string {
	if s.Self == nil {
		return ""
	}
	return webURL(s.KeysURL, false)
}

// NameRoom is how long the part of a new bucket's name after the prefix
// may be: S3 allows 63 characters in all.
func (s selfView) NameRoom() int { return max(63-len(s.Prefix)-1, 1) }

// Action returns the URL the form of a bridge action posts to, "" when it
// is not offered.
func (s selfView) Action(name string) string {
	if s.Self == nil {
		return ""
	}
	return webURL(s.ActionURLs[name], false)
}

// BucketLink returns the settings page of bucket.
func (s selfView) BucketLink(bucket string) string {
	if s.Self == nil || webURL(s.BucketURL, false) == "" {
		return ""
	}
	return s.BucketURL + url.QueryEscape(bucket)
}

// MinExpiry and MaxExpiry bound the expiry date picker: tomorrow to 364
// days ahead, what the binary accepts for a date.
func (s selfView) MinExpiry() string { return s.Now.UTC().AddDate(0, 0, 1).Format(time.DateOnly) }
func (s selfView) MaxExpiry() string { return s.Now.UTC().AddDate(0, 0, 363).Format(time.DateOnly) }

// KeyState is the key's state: the lang key of active, expired or paused.
func (s selfView) KeyState(k Key) string {
	switch {
	case !k.Expires.IsZero() && !s.Now.Before(k.Expires):
		return "selfExpired"
	case s.Suspended:
		return "selfPaused"
	}
	return "selfActive"
}

// KeysFull reports whether the product's maximum of keys is reached.
func (s selfView) KeysFull() bool { return len(s.Keys) >= s.MaxKeys }

// LastDay is the last day a key works, for display (it expires at the
// start of the next day, UTC, when made with a date).
func (s selfView) LastDay(t time.Time) string {
	return s.l.Date(t.Add(-time.Second))
}

// deleteArgs is what the delete-bucket form receives.
type deleteArgs struct {
	selfView
	Bucket string
	Empty  bool // deleted without typing the name again
	ID     string
}

// DeleteArgs prepares the delete form of bucket.
func (s selfView) DeleteArgs(bucket string, empty bool) deleteArgs {
	return deleteArgs{selfView: s, Bucket: bucket, Empty: empty, ID: "puqs3-del-" + strings.NewReplacer(".", "_").Replace(bucket)}
}

// T translates, for partials whose dot is not the page view.
func (s selfView) T(key string, args ...any) (string, error) { return s.l.T(key, args...) }

// Pattern is an HTML pattern matching exactly the bucket's name, for the
// field in which it must be typed again.
func (d deleteArgs) Pattern() string { return regexp.QuoteMeta(d.Bucket) }

// keyArgs is what the key partials receive.
type keyArgs struct {
	V selfView
	K Key
}

// KeyArgs pairs a key with the view, for the key partials.
func (s selfView) KeyArgs(k Key) keyArgs { return keyArgs{V: s, K: k} }

// Scope says what a key reaches, in the page's language.
func (s selfView) Scope(k Key) string { return s.l.ScopeText(k) }

// Date formats a date in the page's language.
func (s selfView) Date(t time.Time) string { return s.l.Date(t) }

// ScopeText says what a key reaches.
func (l *locale) ScopeText(k Key) string {
	mode, _ := l.T("selfReadWrite")
	if k.ReadOnly {
		mode, _ = l.T("selfReadOnly")
	}
	where, _ := l.T("selfAllBuckets")
	if len(k.Buckets) > 0 {
		where = strings.Join(k.Buckets, ", ")
	}
	return where + " · " + mode
}
