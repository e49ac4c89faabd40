package minioadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// AddServiceAccountReq asks for a service account (access key) under
// TargetUser. Empty AccessKey and SecretKey let MinIO generate them; an
// empty Policy means the account inherits the parent user's policies.
type AddServiceAccountReq struct {
	TargetUser  string
	AccessKey   string
	SecretKey   string
	Policy      json.RawMessage // optional session policy narrowing the parent's
	Name        string
	Description string
	Expiration  time.Time // zero: the key does not expire
}

// noExpiry maps MinIO's "never expires" (the Unix epoch) to the zero time.
func noExpiry(t time.Time) time.Time {
	if t.Unix() == 0 {
		return time.Time{}
	}
	return t
}

// AddServiceAccount creates a service account and returns its keys.
// Request and answer are encrypted. It is not resent after a dropped
// connection, which could otherwise create a second account.
func (c *Client) AddServiceAccount(ctx context.Context, req AddServiceAccountReq) (domain.Credentials, error) {
	doing := "create an access key for " + req.TargetUser
	if req.TargetUser == "" {
		return domain.Credentials{}, domain.Errorf(domain.EINVALIDNAME, "create an access key: the target user is empty")
	}
	var expiration *time.Time
	if !req.Expiration.IsZero() {
		e := req.Expiration.UTC()
		expiration = &e
	}
	plain, err := json.Marshal(struct {
		Policy      json.RawMessage `json:"policy,omitempty"`
		TargetUser  string          `json:"targetUser"`
		AccessKey   string          `json:"accessKey,omitempty"`
		SecretKey   string          `json:"secretKey,omitempty"`
		Name        string          `json:"name,omitempty"`
		Description string          `json:"description,omitempty"`
		Expiration  *time.Time      `json:"expiration,omitempty"`
	}{req.Policy, req.TargetUser, req.AccessKey, req.SecretKey, req.Name, req.Description, expiration})
	if err != nil {
		return domain.Credentials{}, translate(fmt.Errorf("minioadmin: add-service-account: %w", err), doing)
	}
	body, err := c.sealer.seal(plain)
	clear(plain)
	if err != nil {
		return domain.Credentials{}, translate(fmt.Errorf("minioadmin: add-service-account: encrypt: %w", err), doing)
	}
	resp, err := c.do(ctx, request{method: http.MethodPut, op: "add-service-account",
		body: body, secrets: []string{req.SecretKey}})
	if err != nil {
		return domain.Credentials{}, translate(err, doing)
	}
	plain, err = DecryptData(c.secretKey, resp)
	if err != nil {
		return domain.Credentials{}, translate(fmt.Errorf("minioadmin: add-service-account: %w", err), doing)
	}
	defer clear(plain)
	var w struct {
		Credentials struct {
			AccessKey  string    `json:"accessKey"`
			SecretKey  string    `json:"secretKey"`
			Expiration time.Time `json:"expiration"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(plain, &w); err != nil {
		// Not wrapped: a syntax error quotes input, and this input is a secret.
		return domain.Credentials{}, translate(errors.New("minioadmin: add-service-account: answer is not the expected JSON"), doing)
	}
	return domain.Credentials{AccessKey: w.Credentials.AccessKey, SecretKey: w.Credentials.SecretKey,
		Expiration: noExpiry(w.Credentials.Expiration)}, nil
}

// KeyName is the name the module gives the access keys it makes, so that
// an admin listing a user's keys with MinIO's tools sees whose they are.
const KeyName = "puqminio"

// CreateAccessKey makes the access key r asks for under r.Parent: the
// module's name for it, its label as the description, its policy and
// expiry. An access key of that name already on the server (another
// user's, or a user) is domain.ECONFLICT, so the caller can draw another.
func (c *Client) CreateAccessKey(ctx context.Context, r domain.NewKeyRequest) error {
	_, err := c.AddServiceAccount(ctx, AddServiceAccountReq{TargetUser: r.Parent, AccessKey: r.AccessKey, SecretKey: r.SecretKey,
		Policy: r.Policy, Name: KeyName, Description: r.Description, Expiration: r.Expires})
	if ErrorCodeOf(err) == CodeServiceAccountTaken {
		return domain.Errorf(domain.ECONFLICT, "create an access key for %s: the name %s is taken", r.Parent, r.AccessKey).WithCause(err)
	}
	return err
}

// ListServiceAccounts returns the user's service accounts (without
// secrets). The answer is encrypted.
func (c *Client) ListServiceAccounts(ctx context.Context, user string) ([]domain.AccessKeyInfo, error) {
	doing := "list the access keys of " + user
	resp, err := c.do(ctx, request{method: http.MethodGet, op: "list-service-accounts",
		query: url.Values{"user": {user}}, resendable: true})
	if err != nil {
		return nil, translate(err, doing)
	}
	plain, err := DecryptData(c.secretKey, resp)
	if err != nil {
		return nil, translate(fmt.Errorf("minioadmin: list-service-accounts: %w", err), doing)
	}
	var w struct {
		Accounts []struct {
			ParentUser    string    `json:"parentUser"`
			AccountStatus string    `json:"accountStatus"`
			ImpliedPolicy bool      `json:"impliedPolicy"`
			AccessKey     string    `json:"accessKey"`
			Name          string    `json:"name"`
			Description   string    `json:"description"`
			Expiration    time.Time `json:"expiration"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(plain, &w); err != nil {
		return nil, translate(fmt.Errorf("minioadmin: list-service-accounts: decode answer: %w", err), doing)
	}
	out := make([]domain.AccessKeyInfo, 0, len(w.Accounts))
	for _, a := range w.Accounts {
		out = append(out, domain.AccessKeyInfo{ParentUser: a.ParentUser, AccessKey: a.AccessKey,
			Name: a.Name, Description: a.Description, Enabled: a.AccountStatus == "on",
			ImpliedPolicy: a.ImpliedPolicy, Expiration: noExpiry(a.Expiration)})
	}
	return out, nil
}

// DeleteServiceAccount removes the service account. A missing one, which
// MinIO answers with 404 XMinioInvalidIAMCredentials, is ENOTFOUND.
func (c *Client) DeleteServiceAccount(ctx context.Context, accessKey string) error {
	doing := "delete access key " + accessKey
	_, err := c.do(ctx, request{method: http.MethodDelete, op: "delete-service-account",
		query: url.Values{"accessKey": {accessKey}}})
	return translateKey(err, doing)
}

// translateKey is translate for calls on one access key: MinIO answers
// 404 XMinioInvalidIAMCredentials for a key that does not exist, which is
// ENOTFOUND, not a refusal of our credentials.
func translateKey(err error, doing string) error {
	var me *Error
	if errors.As(err, &me) && me.StatusCode == http.StatusNotFound && me.Code == CodeInvalidCredentials {
		return domain.Errorf(domain.ENOTFOUND, "%s: no such access key", doing).WithCause(err)
	}
	return translate(err, doing)
}
