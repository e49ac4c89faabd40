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
	"time"
)

// PolicyInfo is one canned policy as MinIO stores it.
type PolicyInfo struct {
	Name       string
	Policy     json.RawMessage // the policy document
	CreateDate time.Time
	UpdateDate time.Time
}

// AddCannedPolicy creates the policy or replaces its document in place;
// users and groups it is attached to keep it. MinIO requires "Version",
// refuses names with a comma and documents over 20 KiB.
func (c *Client) AddCannedPolicy(ctx context.Context, name string, policy []byte) error {
	_, err := c.do(ctx, request{method: http.MethodPut, op: "add-canned-policy",
		query: url.Values{"name": {name}}, body: policy, resendable: true})
	return err
}

// RemoveCannedPolicy deletes the policy. MinIO refuses with
// XMinioIAMPolicyInUse while it is attached to anyone.
func (c *Client) RemoveCannedPolicy(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, op: "remove-canned-policy",
		query: url.Values{"name": {name}}})
	return err
}

// InfoCannedPolicy returns the policy's document and dates.
func (c *Client) InfoCannedPolicy(ctx context.Context, name string) (PolicyInfo, error) {
	// v=2 asks for the document wrapped with its name and dates; without it
	// MinIO answers the bare document.
	body, err := c.do(ctx, request{method: http.MethodGet, op: "info-canned-policy",
		query: url.Values{"name": {name}, "v": {"2"}}, resendable: true})
	if err != nil {
		return PolicyInfo{}, err
	}
	var w struct {
		PolicyName string          `json:"PolicyName"`
		Policy     json.RawMessage `json:"Policy"`
		CreateDate time.Time       `json:"CreateDate"`
		UpdateDate time.Time       `json:"UpdateDate"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return PolicyInfo{}, fmt.Errorf("minioadmin: info-canned-policy: decode answer: %w", err)
	}
	return PolicyInfo{Name: w.PolicyName, Policy: w.Policy, CreateDate: w.CreateDate, UpdateDate: w.UpdateDate}, nil
}

// AttachPolicy adds policies to the user's mapping, keeping the others.
// Attaching what is already attached is not an error, so callers can
// repeat it safely. Servers without the attach route get the same effect
// through user-info and SetUserPolicies, a read-modify-write that can lose a
// concurrent change to the same user's mapping.
func (c *Client) AttachPolicy(ctx context.Context, user string, policies ...string) error {
	return c.attachDetach(ctx, "attach", user, policies)
}

// DetachPolicy removes policies from the user's mapping, keeping the
// others. Detaching what is not attached is not an error.
func (c *Client) DetachPolicy(ctx context.Context, user string, policies ...string) error {
	return c.attachDetach(ctx, "detach", user, policies)
}

// attachDetach uses idp/builtin/policy/{attach,detach}, which changes the
// mapping atomically on the server. Releases before that route (and
// deployments whose proxy hides it) answer 426 or an unknown-API error;
// then we read the user's mapping, compute the new set and write it with
// set-user-or-group-policy. That fallback is a read-modify-write and can
// lose a concurrent change, which the newer route cannot.
func (c *Client) attachDetach(ctx context.Context, operation, user string, policies []string) error {
	if user == "" {
		return fmt.Errorf("minioadmin: %s policy: user is empty", operation)
	}
	if len(policies) == 0 {
		return fmt.Errorf("minioadmin: %s policy: no policy given", operation)
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
	have := cur.Policies()
	want := slices.Clone(have)
	for _, p := range policies {
		has := slices.Contains(want, p)
		if operation == "attach" && !has {
			want = append(want, p)
		} else if operation == "detach" && has {
			want = slices.DeleteFunc(want, func(q string) bool { return q == p })
		}
	}
	if slices.Equal(have, want) {
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
	for _, p := range policies {
		if p == "" || strings.Contains(p, ",") {
			return fmt.Errorf("minioadmin: set policy: invalid policy name %q", p)
		}
	}
	_, err := c.do(ctx, request{method: http.MethodPut, op: "set-user-or-group-policy",
		query: url.Values{
			"policyName":  {strings.Join(policies, ",")},
			"userOrGroup": {user},
			"isGroup":     {"false"},
		}, resendable: true})
	return err
}
