package rgwadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// User is what RGW knows of one user.
type User struct {
	UID         string // "tenant$user", or "user" outside any tenant
	Tenant      string // "" outside any tenant
	DisplayName string
	Email       string
	Suspended   bool
	// MaxBuckets as RGW reads it: 0 means no limit, a negative number that
	// the user may not create buckets.
	MaxBuckets  int
	Keys        []Key // S3 keys, the subusers' too; RGW returns the secrets
	SwiftKeys   []Key // Swift keys (of subusers); RGW returns the secrets
	Subusers    []Subuser
	UserQuota   Quota
	BucketQuota Quota // the default quota of each of the user's buckets
	// Caps are the user's admin capabilities ("users" "*"). Admin and
	// System users pass every admin check whatever their caps say (seen
	// on 16.2.15: a user with --admin or --system and no caps ran every
	// call the module makes).
	Caps   []Cap
	Admin  bool
	System bool
	// OpMask is the kinds of S3 request the user may make, as RGW
	// prints it: "read, write, delete" by default.
	OpMask string
}

// Subuser is a subuser of a user ("tenant$user:name") with its access
// level: "read", "write", "readwrite" or "full-control".
type Subuser struct {
	ID          string
	Permissions string
}

// Cap is one admin capability: Type "users", "buckets", "usage",
// "metadata", ...; Perm "read", "write" or "*".
type Cap struct {
	Type string
	Perm string
}

// Key is one S3 key pair of a user.
type Key struct {
	User      string // the uid owning it
	AccessKey string
	SecretKey string
}

// String hides the secret key, so a logged Key, or a User holding it,
// cannot leak it.
func (k Key) String() string {
	return fmt.Sprintf("rgwadmin.Key{User:%s AccessKey:%s SecretKey:[REDACTED]}", k.User, k.AccessKey)
}

// GoString hides the secret key from %#v as well.
func (k Key) GoString() string { return k.String() }

// userWire is RGW's JSON for a user (create, info, modify answers).
type userWire struct {
	Tenant      string    `json:"tenant"`
	UserID      string    `json:"user_id"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
	Suspended   int       `json:"suspended"`
	MaxBuckets  int       `json:"max_buckets"`
	Keys        []keyWire `json:"keys"`
	SwiftKeys   []keyWire `json:"swift_keys"`
	Subusers    []struct {
		ID          string `json:"id"`
		Permissions string `json:"permissions"`
	} `json:"subusers"`
	Caps []struct {
		Type string `json:"type"`
		Perm string `json:"perm"`
	} `json:"caps"`
	// RGW writes these two booleans as the strings "true" and "false".
	Admin       string    `json:"admin"`
	System      string    `json:"system"`
	OpMask      string    `json:"op_mask"`
	UserQuota   quotaWire `json:"user_quota"`
	BucketQuota quotaWire `json:"bucket_quota"`
}

type keyWire struct {
	User      string `json:"user"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

func (w userWire) user() User {
	u := User{UID: w.UserID, Tenant: w.Tenant, DisplayName: w.DisplayName, Email: w.Email,
		Suspended: w.Suspended != 0, MaxBuckets: w.MaxBuckets,
		Keys: keys(w.Keys), SwiftKeys: keys(w.SwiftKeys), UserQuota: w.UserQuota.quota(), BucketQuota: w.BucketQuota.quota(),
		Admin: w.Admin == "true", System: w.System == "true", OpMask: w.OpMask}
	for _, su := range w.Subusers {
		u.Subusers = append(u.Subusers, Subuser{ID: su.ID, Permissions: su.Permissions})
	}
	for _, c := range w.Caps {
		u.Caps = append(u.Caps, Cap{Type: c.Type, Perm: c.Perm})
	}
	if w.Tenant != "" {
		u.UID = w.Tenant + "$" + w.UserID
	}
	return u
}

func keys(w []keyWire) []Key {
	ks := make([]Key, len(w))
	for i, k := range w {
		ks[i] = Key(k)
	}
	return ks
}

// CreateUserReq describes a new user and its first S3 key.
type CreateUserReq struct {
	UID         string // "tenant$user" gives the user its tenant's own bucket namespace
	DisplayName string // required by RGW
	AccessKey   string // required: RGW would generate one
	SecretKey   string // required: RGW would generate one
	// MaxBuckets is always sent, with RGW's meaning: 0 is no limit (RGW's
	// default when absent is 1000), a negative number forbids buckets.
	MaxBuckets int
	// Suspended creates the user suspended: its key is refused until
	// Unsuspend, so settings made after the create (a quota) are in force
	// before the user can make its first request.
	Suspended bool
}

// CreateUser creates the user with one S3 key. RGW answers
// CodeUserAlreadyExists for an existing uid even when every setting is the
// same, and CodeKeyExists when another user has the access key; neither
// changes anything. It is not resent after a dropped connection: the
// resend would meet the user the first attempt created and report
// CodeUserAlreadyExists, so a caller that sees that after a failure should
// compare with UserInfo.
func (c *Client) CreateUser(ctx context.Context, req CreateUserReq) (User, error) {
	if req.UID == "" || req.DisplayName == "" || req.AccessKey == "" || req.SecretKey == "" {
		return User{}, errors.New("rgwadmin: create-user: uid, display name, access key and secret key are all required")
	}
	body, err := c.do(ctx, request{method: http.MethodPut, resource: "user", op: "create-user",
		query: url.Values{"uid": {req.UID}, "display-name": {req.DisplayName},
			"access-key": {req.AccessKey}, "secret-key": {req.SecretKey}, "key-type": {"s3"},
			"max-buckets": {strconv.Itoa(req.MaxBuckets)}, "suspended": {strconv.FormatBool(req.Suspended)}},
		secrets: []string{req.SecretKey}})
	if err != nil {
		return User{}, err
	}
	return decodeUser("create-user", body)
}

// UserInfo returns one user, its keys and quotas.
func (c *Client) UserInfo(ctx context.Context, uid string) (User, error) {
	if uid == "" {
		return User{}, errors.New("rgwadmin: user-info: uid is empty")
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "user", op: "user-info",
		query: url.Values{"uid": {uid}}, resendable: true})
	if err != nil {
		return User{}, err
	}
	return decodeUser("user-info", body)
}

// UserByAccessKey returns the user who holds the S3 key accessKey, a
// subuser's key included (then the parent user). An access key nobody
// holds is answered with CodeAccessDenied, not CodeNoSuchUser: RGW, given
// no uid, falls back to the anonymous user (seen on 16.2.15). Only ask
// about a key known to exist (after CodeKeyExists), or about your own.
func (c *Client) UserByAccessKey(ctx context.Context, accessKey string) (User, error) {
	if accessKey == "" {
		return User{}, errors.New("rgwadmin: user-by-key: access key is empty")
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "user", op: "user-by-key",
		query: url.Values{"access-key": {accessKey}}, resendable: true})
	if err != nil {
		return User{}, err
	}
	return decodeUser("user-by-key", body)
}

// UserChange names the settings ModifyUser changes; a nil field keeps its
// value.
type UserChange struct {
	DisplayName *string
	MaxBuckets  *int // RGW's meaning, as in CreateUserReq
	Suspended   *bool
}

// ModifyUser changes the given settings of an existing user in one call
// and returns the user as RGW has it afterwards. Changing the display name
// and lifting a suspension together is atomic: no reader sees one without
// the other.
func (c *Client) ModifyUser(ctx context.Context, uid string, ch UserChange) (User, error) {
	if uid == "" {
		return User{}, errors.New("rgwadmin: modify-user: uid is empty")
	}
	q := url.Values{"uid": {uid}}
	if ch.DisplayName != nil {
		if *ch.DisplayName == "" {
			return User{}, errors.New("rgwadmin: modify-user: display name is empty")
		}
		q.Set("display-name", *ch.DisplayName)
	}
	if ch.MaxBuckets != nil {
		q.Set("max-buckets", strconv.Itoa(*ch.MaxBuckets))
	}
	if ch.Suspended != nil {
		q.Set("suspended", strconv.FormatBool(*ch.Suspended))
	}
	if len(q) == 1 {
		return User{}, errors.New("rgwadmin: modify-user: nothing to change")
	}
	body, err := c.do(ctx, request{method: http.MethodPost, resource: "user", op: "modify-user",
		query: q, resendable: true})
	if err != nil {
		return User{}, err
	}
	u, err := decodeUser("modify-user", body)
	if err != nil {
		return User{}, err
	}
	if (ch.MaxBuckets != nil && u.MaxBuckets != *ch.MaxBuckets && *ch.MaxBuckets >= 0) ||
		(ch.Suspended != nil && u.Suspended != *ch.Suspended) ||
		(ch.DisplayName != nil && u.DisplayName != *ch.DisplayName) {
		return User{}, fmt.Errorf("rgwadmin: modify-user: RGW's answer does not show the change")
	}
	return u, nil
}

// Suspend stops the user's S3 access: RGW answers its requests with 403
// UserSuspended. Its data stays.
func (c *Client) Suspend(ctx context.Context, uid string) error {
	return c.setSuspended(ctx, uid, true)
}

// Unsuspend gives the user its S3 access back.
func (c *Client) Unsuspend(ctx context.Context, uid string) error {
	return c.setSuspended(ctx, uid, false)
}

func (c *Client) setSuspended(ctx context.Context, uid string, suspended bool) error {
	op := "unsuspend-user"
	if suspended {
		op = "suspend-user"
	}
	if uid == "" {
		return fmt.Errorf("rgwadmin: %s: uid is empty", op)
	}
	body, err := c.do(ctx, request{method: http.MethodPost, resource: "user", op: op,
		query: url.Values{"uid": {uid}, "suspended": {strconv.FormatBool(suspended)}}, resendable: true})
	if err != nil {
		return err
	}
	// The answer is the user as modified; a mismatch would mean the
	// parameter was not understood.
	u, err := decodeUser(op, body)
	if err != nil {
		return err
	}
	if u.Suspended != suspended {
		return fmt.Errorf("rgwadmin: %s: RGW answered with suspended=%t", op, u.Suspended)
	}
	return nil
}

// RemoveUserOptions choose what goes with a removed user.
type RemoveUserOptions struct {
	// PurgeData removes the user's buckets and objects too. Without it RGW
	// refuses to remove a user who owns buckets, with the misleading code
	// CodeBucketAlreadyExists.
	PurgeData bool
}

// RemoveUser removes the user and its keys. A second call answers
// CodeNoSuchUser; it is not resent after a dropped connection for the same
// reason.
func (c *Client) RemoveUser(ctx context.Context, uid string, opts RemoveUserOptions) error {
	if uid == "" {
		return errors.New("rgwadmin: remove-user: uid is empty")
	}
	q := url.Values{"uid": {uid}}
	if opts.PurgeData {
		q.Set("purge-data", "true")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, resource: "user", op: "remove-user", query: q})
	return err
}

func decodeUser(op string, body []byte) (User, error) {
	var w userWire
	if err := json.Unmarshal(body, &w); err != nil {
		return User{}, fmt.Errorf("rgwadmin: %s: decode answer: %w", op, err)
	}
	if w.UserID == "" {
		return User{}, fmt.Errorf("rgwadmin: %s: answer names no user", op)
	}
	return w.user(), nil
}

// UserStats is a user's usage over all its buckets, as RGW stores it in
// the user's header.
type UserStats struct {
	Size    uint64 // bytes
	Objects uint64
}

// UserStatsSync brings the usage stored with the user up to date from its
// buckets' indexes (a write to each bucket's entry in the user's list) and
// returns it. RGW refreshes that figure only now and then on its own; the
// quota check does not read it while it has the user in its cache.
func (c *Client) UserStatsSync(ctx context.Context, uid string) (UserStats, error) {
	if uid == "" {
		return UserStats{}, errors.New("rgwadmin: user-stats: uid is empty")
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "user", op: "user-stats",
		query: url.Values{"uid": {uid}, "stats": {"true"}, "sync": {"true"}}, resendable: true})
	if err != nil {
		return UserStats{}, err
	}
	var w struct {
		Stats struct {
			Size       uint64 `json:"size"`
			NumObjects uint64 `json:"num_objects"`
		} `json:"stats"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return UserStats{}, fmt.Errorf("rgwadmin: user-stats: decode answer: %w", err)
	}
	return UserStats{Size: w.Stats.Size, Objects: w.Stats.NumObjects}, nil
}
