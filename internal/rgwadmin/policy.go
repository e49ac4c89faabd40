package rgwadmin

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// CodeNoSuchEntity is the IAM API's answer for a user or an inline policy
// that does not exist (404).
const CodeNoSuchEntity = "NoSuchEntity"

// The inline policies of a user are RGW's IAM API (form POSTs to the
// gateway's root, Version 2010-05-08), not Admin Ops; the signing user
// needs the cap user-policy. RGW evaluates a user's inline policies on
// every S3 request the user (or its subusers) signs, and a Deny there wins
// over the owner's own rights on its buckets (seen on 16.2.15). A user
// cannot change its own policies without that cap (AccessDenied).

// PutUserPolicy sets the inline policy name of uid ("tenant$user") to doc,
// replacing one of that name. Sent twice, it does the same thing.
func (c *Client) PutUserPolicy(ctx context.Context, uid, name, doc string) error {
	if uid == "" || name == "" || doc == "" {
		return errors.New("rgwadmin: put-user-policy: uid, name and document are required")
	}
	_, err := c.do(ctx, request{op: "put-user-policy", resendable: true, form: url.Values{
		"Action": {"PutUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {uid},
		"PolicyName": {name}, "PolicyDocument": {doc}}})
	return err
}

// UserPolicy returns the document of uid's inline policy name, or an
// *Error with CodeNoSuchEntity when it has none of that name (RGW answers
// that with a bare 404, which is given the code here).
func (c *Client) UserPolicy(ctx context.Context, uid, name string) (string, error) {
	if uid == "" || name == "" {
		return "", errors.New("rgwadmin: get-user-policy: uid and name are required")
	}
	body, err := c.do(ctx, request{op: "get-user-policy", resendable: true, form: url.Values{
		"Action": {"GetUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {uid}, "PolicyName": {name}}})
	var e *Error
	if errors.As(err, &e) && e.StatusCode == http.StatusNotFound && e.Code == "NotFound" {
		e.Code = CodeNoSuchEntity
	}
	if err != nil {
		return "", err
	}
	var w struct {
		Document string `xml:"GetUserPolicyResult>PolicyDocument"`
	}
	if err := xml.Unmarshal(body, &w); err != nil {
		return "", fmt.Errorf("rgwadmin: get-user-policy: decode answer: %w", err)
	}
	return w.Document, nil
}

// DeleteUserPolicy removes uid's inline policy name. One that is not there
// is not an error.
func (c *Client) DeleteUserPolicy(ctx context.Context, uid, name string) error {
	if uid == "" || name == "" {
		return errors.New("rgwadmin: delete-user-policy: uid and name are required")
	}
	_, err := c.do(ctx, request{op: "delete-user-policy", resendable: true, form: url.Values{
		"Action": {"DeleteUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {uid}, "PolicyName": {name}}})
	if ErrorCodeOf(err) == CodeNoSuchEntity {
		return nil
	}
	return err
}
