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
	Keys        []Key // S3 keys; RGW returns the secrets too
	UserQuota   Quota
	BucketQuota Quota // the default quota of each of the user's buckets
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
		Keys: keys(w.Keys), UserQuota: w.UserQuota.quota(), BucketQuota: w.BucketQuota.quota()}
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
			"max-buckets": {strconv.Itoa(req.MaxBuckets)}},
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
