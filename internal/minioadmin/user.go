package minioadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// UserInfo is what MinIO knows of one built-in user.
type UserInfo struct {
	PolicyName string // the attached canned policies, comma separated, as MinIO stores them
	Enabled    bool
	MemberOf   []string  // groups
	UpdatedAt  time.Time // when the policy mapping last changed; zero if it never had one
}

// Policies returns PolicyName split into its policy names.
func (u UserInfo) Policies() []string {
	return splitPolicies(u.PolicyName)
}

// userInfoWire is user-info's answer and one value of list-users' map.
type userInfoWire struct {
	PolicyName string    `json:"policyName"`
	Status     string    `json:"status"`
	MemberOf   []string  `json:"memberOf"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

func (w userInfoWire) info() UserInfo {
	return UserInfo{PolicyName: w.PolicyName, Enabled: w.Status == statusEnabled,
		MemberOf: w.MemberOf, UpdatedAt: w.UpdatedAt}
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

// AddUser creates the user or, if it exists, replaces its secret key. The
// status is always sent because MinIO creates a user without one disabled
// and sets the status of an existing user from every call: a password
// change on a suspended account must pass enabled=false to keep it so.
// Policies sent with add-user are ignored by MinIO; use AttachPolicy.
func (c *Client) AddUser(ctx context.Context, accessKey, secretKey string, enabled bool) error {
	if accessKey == "" {
		return errors.New("minioadmin: add-user: access key is empty")
	}
	plain, err := json.Marshal(struct {
		SecretKey string `json:"secretKey"`
		Status    string `json:"status"`
	}{secretKey, status(enabled)})
	if err != nil {
		return fmt.Errorf("minioadmin: add-user: %w", err)
	}
	body, err := c.sealer.seal(plain)
	clear(plain)
	if err != nil {
		return fmt.Errorf("minioadmin: add-user: encrypt: %w", err)
	}
	_, err = c.do(ctx, request{method: http.MethodPut, op: "add-user",
		query: url.Values{"accessKey": {accessKey}}, body: body,
		resendable: true, secrets: []string{secretKey}})
	return err
}

// RemoveUser deletes the user. Its service accounts go with it.
func (c *Client) RemoveUser(ctx context.Context, accessKey string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, op: "remove-user",
		query: url.Values{"accessKey": {accessKey}}})
	return err
}

// SetUserStatus enables or disables the user without touching its secret.
func (c *Client) SetUserStatus(ctx context.Context, accessKey string, enabled bool) error {
	_, err := c.do(ctx, request{method: http.MethodPut, op: "set-user-status",
		query: url.Values{"accessKey": {accessKey}, "status": {status(enabled)}}, resendable: true})
	return err
}

// UserInfo returns one user's status, policies and groups.
func (c *Client) UserInfo(ctx context.Context, accessKey string) (UserInfo, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "user-info",
		query: url.Values{"accessKey": {accessKey}}, resendable: true})
	if err != nil {
		return UserInfo{}, err
	}
	var w userInfoWire
	if err := json.Unmarshal(body, &w); err != nil {
		return UserInfo{}, fmt.Errorf("minioadmin: user-info: decode answer: %w", err)
	}
	return w.info(), nil
}

// ListUsers returns every built-in user by access key. MinIO encrypts this
// answer, so each call costs one Argon2id derivation on our side.
func (c *Client) ListUsers(ctx context.Context) (map[string]UserInfo, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "list-users", resendable: true})
	if err != nil {
		return nil, err
	}
	plain, err := DecryptData(c.secretKey, body)
	if err != nil {
		return nil, fmt.Errorf("minioadmin: list-users: %w", err)
	}
	var w map[string]userInfoWire
	if err := json.Unmarshal(plain, &w); err != nil {
		return nil, fmt.Errorf("minioadmin: list-users: decode answer: %w", err)
	}
	users := make(map[string]UserInfo, len(w))
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
