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

// Quota is an RGW quota: over all of a user's buckets (the user quota) or
// per bucket. RGW enforces it from cached bucket statistics, so with one
// gateway a PUT past MaxSize is refused with 403 QuotaExceeded; several
// gateways or concurrent uploads can overshoot a little.
type Quota struct {
	Enabled    bool
	MaxSize    int64 // bytes; negative means no limit
	MaxObjects int64 // negative means no limit
}

// NoLimit is the value of MaxSize or MaxObjects that sets no limit.
const NoLimit = -1

type quotaWire struct {
	Enabled    bool  `json:"enabled"`
	MaxSize    int64 `json:"max_size"`
	MaxObjects int64 `json:"max_objects"`
}

func (w quotaWire) quota() Quota { return Quota(w) }

// SetUserQuota sets the user quota as a whole: every field is sent, so the
// result does not depend on what was set before (RGW keeps an absent
// field's old value).
func (c *Client) SetUserQuota(ctx context.Context, uid string, q Quota) error {
	if uid == "" {
		return errors.New("rgwadmin: set-user-quota: uid is empty")
	}
	_, err := c.do(ctx, request{method: http.MethodPut, resource: "user", op: "set-user-quota",
		query: url.Values{"quota": {""}, "uid": {uid}, "quota-type": {"user"},
			"enabled":     {strconv.FormatBool(q.Enabled)},
			"max-size":    {strconv.FormatInt(limit(q.MaxSize), 10)},
			"max-objects": {strconv.FormatInt(limit(q.MaxObjects), 10)}},
		resendable: true})
	return err
}

// limit maps every "no limit" to the one value RGW stores for it.
func limit(v int64) int64 {
	if v < 0 {
		return NoLimit
	}
	return v
}

// UserQuota returns the user quota.
func (c *Client) UserQuota(ctx context.Context, uid string) (Quota, error) {
	if uid == "" {
		return Quota{}, errors.New("rgwadmin: user-quota: uid is empty")
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "user", op: "user-quota",
		query: url.Values{"quota": {""}, "uid": {uid}, "quota-type": {"user"}}, resendable: true})
	if err != nil {
		return Quota{}, err
	}
	var w quotaWire
	if err := json.Unmarshal(body, &w); err != nil {
		return Quota{}, fmt.Errorf("rgwadmin: user-quota: decode answer: %w", err)
	}
	return w.quota(), nil
}
