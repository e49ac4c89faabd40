package rgwadmin

import (
	"context"
	"net/url"
)

// CodeMethodNotAllowed is RGW's answer (405) to a call of an API it does
// not offer, such as SNS topics when "notifications" is not in the
// gateway's rgw_enable_apis.
const CodeMethodNotAllowed = "MethodNotAllowed"

// TopicsOffered reports whether the gateway offers its SNS API
// (notification topics, which any user may create with a push endpoint:
// a URL the gateway then POSTs events to). It lists the topics of the
// admin's own tenant, which changes nothing.
func (c *Client) TopicsOffered(ctx context.Context) (bool, error) {
	_, err := c.do(ctx, request{op: "list-topics", resendable: true, form: url.Values{
		"Action": {"ListTopics"}, "Version": {"2010-03-31"}}})
	if ErrorCodeOf(err) == CodeMethodNotAllowed {
		return false, nil
	}
	return err == nil, err
}
