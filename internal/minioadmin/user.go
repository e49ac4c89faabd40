package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// userInfoWire is user-info's answer and one value of list-users' map.
type userInfoWire struct {
	PolicyName string    `json:"policyName"`
	Status     string    `json:"status"`
	MemberOf   []string  `json:"memberOf"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

func (w userInfoWire) info() domain.UserInfo {
	return domain.UserInfo{Policies: splitPolicies(w.PolicyName), Enabled: w.Status == statusEnabled,
		Groups: w.MemberOf, UpdatedAt: w.UpdatedAt}
}

const (
	statusEnabled  = "enabled"
	statusDisabled = "disabled"
)

func status(enabled bool) string {
	if enabled {
		return statusEnabled
	}
	return statusDisabled
}

// AddUser creates the user with secretKey, or, if it exists, replaces its
// secret key (as ChangeSecret does). The status is always sent because
// MinIO creates a user without one disabled and sets the status of an
// existing user from every call. Policies sent with add-user are ignored
// by MinIO; use AttachPolicy.
func (c *Client) AddUser(ctx context.Context, accessKey, secretKey string, enabled bool) error {
	return c.addUser(ctx, accessKey, secretKey, enabled, "create user "+accessKey)
}

// ChangeSecret gives an existing user a new secret key. MinIO sets the
// status from the same call, so a password change on a suspended account
// must pass enabled=false to keep it suspended.
func (c *Client) ChangeSecret(ctx context.Context, accessKey, secretKey string, enabled bool) error {
	return c.addUser(ctx, accessKey, secretKey, enabled, "change the password of "+accessKey)
}

// addUser is MinIO's add-user: one call that creates a user or replaces its
// secret, and sets its status.
func (c *Client) addUser(ctx context.Context, accessKey, secretKey string, enabled bool, doing string) error {
	if accessKey == "" {
		return domain.Errorf(domain.EINVALIDNAME, "%s: the user name is empty", doing)
	}
	plain, err := json.Marshal(struct {
		SecretKey string `json:"secretKey"`
		Status    string `json:"status"`
	}{secretKey, status(enabled)})
	if err != nil {
		return translate(fmt.Errorf("minioadmin: add-user: %w", err), doing)
	}
	body, err := c.sealer.seal(plain)
	clear(plain)
	if err != nil {
		return translate(fmt.Errorf("minioadmin: add-user: encrypt: %w", err), doing)
	}
	_, err = c.do(ctx, request{method: http.MethodPut, op: "add-user",
		query: url.Values{"accessKey": {accessKey}}, body: body,
		resendable: true, secrets: []string{secretKey}})
	return translate(err, doing)
}

// RemoveUser deletes the user. Its service accounts go with it.
func (c *Client) RemoveUser(ctx context.Context, accessKey string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, op: "remove-user",
		query: url.Values{"accessKey": {accessKey}}})
	return translate(err, "remove user "+accessKey)
}

// SetUserStatus enables or disables the user without touching its secret.
func (c *Client) SetUserStatus(ctx context.Context, accessKey string, enabled bool) error {
	_, err := c.do(ctx, request{method: http.MethodPut, op: "set-user-status",
		query: url.Values{"accessKey": {accessKey}, "status": {status(enabled)}}, resendable: true})
	doing := "disable user " + accessKey
	if enabled {
		doing = "enable user " + accessKey
	}
	return translate(err, doing)
}

// UserInfo returns one user's status, policies and groups. A name that is
// not a user answers ENOTFOUND; a name that belongs to an access key
// answers ECONFLICT.
func (c *Client) UserInfo(ctx context.Context, accessKey string) (domain.UserInfo, error) {
	doing := "read user " + accessKey
	body, err := c.do(ctx, request{method: http.MethodGet, op: "user-info",
		query: url.Values{"accessKey": {accessKey}}, resendable: true})
	if err != nil {
		return domain.UserInfo{}, translate(err, doing)
	}
	var w userInfoWire
	if err := json.Unmarshal(body, &w); err != nil {
		return domain.UserInfo{}, translate(fmt.Errorf("minioadmin: user-info: decode answer: %w", err), doing)
	}
	return w.info(), nil
}

// ListUsers returns every built-in user by access key. MinIO encrypts this
// answer, so each call costs one Argon2id derivation on our side.
func (c *Client) ListUsers(ctx context.Context) (map[string]domain.UserInfo, error) {
	const doing = "list users"
	body, err := c.do(ctx, request{method: http.MethodGet, op: "list-users", resendable: true})
	if err != nil {
		return nil, translate(err, doing)
	}
	plain, err := DecryptData(c.secretKey, body)
	if err != nil {
		return nil, translate(fmt.Errorf("minioadmin: list-users: %w", err), doing)
	}
	var w map[string]userInfoWire
	if err := json.Unmarshal(plain, &w); err != nil {
		return nil, translate(fmt.Errorf("minioadmin: list-users: decode answer: %w", err), doing)
	}
	users := make(map[string]domain.UserInfo, len(w))
	for k, v := range w {
		users[k] = v.info()
	}
	return users, nil
}

// splitPolicies splits MinIO's comma-separated policy list, dropping blanks.
func splitPolicies(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
