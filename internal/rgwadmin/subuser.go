package rgwadmin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// SubuserReq describes a subuser and its S3 key.
type SubuserReq struct {
	Name      string // the part after the colon: "tool" makes "tenant$user:tool"
	Access    string // "read", "write", "readwrite" or "full"
	AccessKey string // required: RGW would generate one
	SecretKey string // required: RGW would generate one
}

// CreateSubuser gives the user a subuser with one S3 key. A subuser signs
// S3 requests with its own key and acts on its parent's buckets with the
// access given. Like PutKey it reads the user first and sends nothing for
// a uid that does not exist, so RGW's fall-back to the key's owner never
// applies.
func (c *Client) CreateSubuser(ctx context.Context, uid string, req SubuserReq) error {
	if uid == "" || req.Name == "" || req.AccessKey == "" || req.SecretKey == "" || req.Access == "" {
		return errors.New("rgwadmin: create-subuser: uid, name, access, access key and secret key are all required")
	}
	if strings.Contains(req.Name, ":") {
		return errors.New("rgwadmin: create-subuser: name must not hold a colon")
	}
	if _, err := c.UserInfo(ctx, uid); err != nil {
		return err
	}
	_, err := c.do(ctx, request{method: http.MethodPut, resource: "user", op: "create-subuser",
		query: url.Values{"subuser": {uid + ":" + req.Name}, "uid": {uid}, "key-type": {"s3"},
			"access-key": {req.AccessKey}, "secret-key": {req.SecretKey}, "access": {req.Access}},
		secrets: []string{req.SecretKey}})
	return err
}

// RemoveSubuser removes the subuser id ("tenant$user:name", as User lists
// it) with its keys. A subuser the user does not have is not an error.
func (c *Client) RemoveSubuser(ctx context.Context, uid, id string) error {
	if uid == "" || id == "" {
		return errors.New("rgwadmin: remove-subuser: uid and subuser are required")
	}
	if !strings.HasPrefix(id, uid+":") {
		return fmt.Errorf("rgwadmin: remove-subuser: %s is not a subuser of %s", id, uid)
	}
	u, err := c.UserInfo(ctx, uid)
	if err != nil {
		return err
	}
	has := false
	for _, su := range u.Subusers {
		has = has || su.ID == id
	}
	if !has {
		return nil
	}
	_, err = c.do(ctx, request{method: http.MethodDelete, resource: "user", op: "remove-subuser",
		query: url.Values{"subuser": {id}, "uid": {uid}, "purge-keys": {"true"}}})
	return err
}
