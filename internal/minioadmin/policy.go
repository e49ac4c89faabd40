package minioadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// AddCannedPolicy creates the policy or replaces its document in place;
// users and groups it is attached to keep it. MinIO requires "Version",
// refuses names with a comma and documents over 20 KiB.
func (c *Client) AddCannedPolicy(ctx context.Context, name string, policy []byte) error {
	_, err := c.do(ctx, request{method: http.MethodPut, op: "add-canned-policy",
		query: url.Values{"name": {name}}, body: policy, resendable: true})
	return translate(err, "write policy "+name)
}

// RemoveCannedPolicy deletes the policy. MinIO refuses with
// XMinioIAMPolicyInUse while it is attached to anyone.
func (c *Client) RemoveCannedPolicy(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, op: "remove-canned-policy",
		query: url.Values{"name": {name}}})
	return translate(err, "remove policy "+name)
}

// AttachPolicy adds policies to the user's mapping, keeping the others.
// Attaching what is already attached is not an error, so callers can
// repeat it safely. Servers without the attach route get the same effect
// through user-info and SetUserPolicies, a read-modify-write that can lose a
// concurrent change to the same user's mapping.
func (c *Client) AttachPolicy(ctx context.Context, user string, policies ...string) error {
	return translate(c.attach(ctx, user, policies), "attach policy "+strings.Join(policies, ",")+" to "+user)
}

// attach uses idp/builtin/policy/attach, which changes the mapping
// atomically on the server. Releases before that route (and deployments
// whose proxy hides it) answer 426 or an unknown-API error; then we read
// the user's mapping, add the policies and write it with
// set-user-or-group-policy. That fallback is a read-modify-write and can
// lose a concurrent change, which the newer route cannot.
func (c *Client) attach(ctx context.Context, user string, policies []string) error {
	const operation = "attach"
	if user == "" {
		return domain.Errorf(domain.EINVALIDNAME, "attach policy: the user name is empty")
	}
	if len(policies) == 0 {
		return domain.Errorf(domain.EINVALID, "attach policy: no policy given")
	}
	plain, err := json.Marshal(struct {
		Policies []string `json:"policies"`
		User     string   `json:"user"`
	}{policies, user})
	if err != nil {
		return fmt.Errorf("minioadmin: %s policy: %w", operation, err)
	}
	body, err := c.sealer.seal(plain)
	if err != nil {
		return fmt.Errorf("minioadmin: %s policy: encrypt: %w", operation, err)
	}
	// The answer is encrypted too ({policiesAttached, updatedAt}); we do
	// not open it, which saves an Argon2id derivation per call.
	_, err = c.do(ctx, request{method: http.MethodPost, op: "idp/builtin/policy/" + operation,
		contentType: "application/octet-stream", body: body, resendable: true})
	switch {
	case err == nil:
		return nil
	case ErrorCodeOf(err) == CodePolicyAlreadyApplied:
		return nil
	case !isUnknownRoute(err):
		return err
	}
	cur, err := c.UserInfo(ctx, user)
	if err != nil {
		return err
	}
	want := slices.Clone(cur.Policies)
	for _, p := range policies {
		if !slices.Contains(want, p) {
			want = append(want, p)
		}
	}
	if len(want) == len(cur.Policies) {
		return nil // the same no-op the newer route reports as already applied
	}
	return c.SetUserPolicies(ctx, user, want)
}

// isUnknownRoute says whether err means the server does not know the
// route, as opposed to refusing a known one: a 426 version mismatch, or a
// 400/404/405/501 that carries none of MinIO's admin codes (what older
// releases and proxies answer). A 404 for a missing user or policy, or a
// 400 for a bad body, is a real answer and must not trigger the fallback.
func isUnknownRoute(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.StatusCode {
	case http.StatusUpgradeRequired:
		return true
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return !strings.HasPrefix(e.Code, "XMinio")
	}
	return false
}

// SetUserPolicies replaces the user's whole policy mapping with policies;
// an empty list removes every policy. This is the older API every release
// supports.
func (c *Client) SetUserPolicies(ctx context.Context, user string, policies []string) error {
	doing := "set the policies of " + user
	for _, p := range policies {
		if p == "" || strings.Contains(p, ",") {
			return domain.Errorf(domain.EINVALID, "%s: invalid policy name %q", doing, domain.Printable(p))
		}
	}
	_, err := c.do(ctx, request{method: http.MethodPut, op: "set-user-or-group-policy",
		query: url.Values{
			"policyName":  {strings.Join(policies, ",")},
			"userOrGroup": {user},
			"isGroup":     {"false"},
		}, resendable: true})
	return translate(err, doing)
}
