package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// RevokeTokens ends every STS credential user obtained (AssumeRole), for
// good: disabling the user only refuses them until it is enabled again,
// and removing it leaves them to come back with a user of the same name.
// MinIO does not check that the user exists, so it may be called after the
// user is gone. A release without the call answers EUNSUPPORTED.
func (c *Client) RevokeTokens(ctx context.Context, user string) error {
	_, err := c.do(ctx, request{method: http.MethodPost, op: "revoke-tokens/builtin",
		query: url.Values{"user": {user}, "fullRevoke": {"true"}}, resendable: true})
	return translate(err, "revoke the temporary credentials of "+user)
}

// GroupPolicies returns the names of the canned policies attached to
// group; a group that does not exist has none.
func (c *Client) GroupPolicies(ctx context.Context, group string) ([]string, error) {
	doing := "read group " + group
	body, err := c.do(ctx, request{method: http.MethodGet, op: "group",
		query: url.Values{"group": {group}}, resendable: true})
	if ErrorCodeOf(err) == CodeNoSuchGroup {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, doing)
	}
	var w struct {
		Policy string `json:"policy"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, translate(fmt.Errorf("minioadmin: group: decode answer: %w", err), doing)
	}
	return splitPolicies(w.Policy), nil
}

// PolicyDocument returns the document of the canned policy name.
func (c *Client) PolicyDocument(ctx context.Context, name string) ([]byte, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "info-canned-policy",
		query: url.Values{"name": {name}}, resendable: true})
	return body, translate(err, "read policy "+name)
}

// AccessKeyParent returns the user an access key (service account) belongs
// to. The answer is encrypted; a key that does not exist is ENOTFOUND.
func (c *Client) AccessKeyParent(ctx context.Context, accessKey string) (string, error) {
	doing := "read access key " + accessKey
	body, err := c.do(ctx, request{method: http.MethodGet, op: "info-service-account",
		query: url.Values{"accessKey": {accessKey}}, resendable: true})
	if err != nil {
		return "", translateKey(err, doing)
	}
	plain, err := DecryptData(c.secretKey, body)
	if err != nil {
		return "", translate(fmt.Errorf("minioadmin: info-service-account: %w", err), doing)
	}
	var w struct {
		ParentUser string `json:"parentUser"`
	}
	if err := json.Unmarshal(plain, &w); err != nil {
		return "", translate(fmt.Errorf("minioadmin: info-service-account: decode answer: %w", err), doing)
	}
	return w.ParentUser, nil
}
