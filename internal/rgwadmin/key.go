package rgwadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// PutKey gives the user the S3 key accessKey with secretKey: it adds the
// key, or replaces the secret if the user already has that access key. A
// key the user already has with this secret is left alone, so a second
// call changes nothing.
//
// It reads the user first and sends nothing if the uid does not exist
// (CodeNoSuchUser): RGW, given a uid it cannot find, falls back to the
// owner of the access key and would change the secret of another user's
// key (seen on 16.2.15). An access key that belongs to another, existing
// user is refused by RGW with CodeKeyExists.
func (c *Client) PutKey(ctx context.Context, uid, accessKey, secretKey string) error {
	if uid == "" || accessKey == "" || secretKey == "" {
		return errors.New("rgwadmin: put-key: uid, access key and secret key are all required")
	}
	u, err := c.UserInfo(ctx, uid)
	if err != nil {
		return err
	}
	for _, k := range u.Keys {
		if k.AccessKey == accessKey && k.SecretKey == secretKey {
			return nil
		}
	}
	body, err := c.do(ctx, request{method: http.MethodPut, resource: "user", op: "put-key",
		query: url.Values{"key": {""}, "uid": {uid}, "key-type": {"s3"},
			"access-key": {accessKey}, "secret-key": {secretKey}},
		resendable: true, secrets: []string{secretKey}})
	if err != nil {
		return err
	}
	// The answer is the owner's keys after the change.
	var ks []keyWire
	if err := json.Unmarshal(body, &ks); err != nil {
		return fmt.Errorf("rgwadmin: put-key: decode answer: %w", err)
	}
	for _, k := range ks {
		if k.AccessKey == accessKey && k.User == u.UID {
			return nil
		}
	}
	return fmt.Errorf("rgwadmin: put-key: RGW's answer does not list access key %s under %s", accessKey, u.UID)
}

// RemoveKey removes the S3 key accessKey from the user. It reads the user
// first and sends nothing if the user has no such key, so removing a key
// twice is not an error; it never touches another user's key (RGW falls
// back to the key's owner for a uid it cannot find, and answers
// CodeInvalidAccessKeyID, the signing error's code, for a key the user
// lacks).
func (c *Client) RemoveKey(ctx context.Context, uid, accessKey string) error {
	if uid == "" || accessKey == "" {
		return errors.New("rgwadmin: remove-key: uid and access key are required")
	}
	u, err := c.UserInfo(ctx, uid)
	if err != nil {
		return err
	}
	has := false
	for _, k := range u.Keys {
		has = has || k.AccessKey == accessKey
	}
	if !has {
		return nil
	}
	_, err = c.do(ctx, request{method: http.MethodDelete, resource: "user", op: "remove-key",
		query: url.Values{"key": {""}, "uid": {uid}, "key-type": {"s3"}, "access-key": {accessKey}}})
	return err
}
