package rgw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// A tenant can make notification topics on RGW (the SNS API: CreateTopic
// with a push endpoint), and bucket notifications that make the gateway
// POST each event to that endpoint, any URL the gateway can reach (seen on
// 16.2.15 with a loopback listener). Topics belong to the tenant, not to
// its user: removing the user, with purge-data, leaves them, and the next
// user of the tenant lists them. Admin Ops has no topic call, so terminate
// removes them as a user of the tenant: a short-lived helper user.

// cleanupUser is the helper's name inside the tenant; "~" is not in any
// WHMCS user name (domain.ValidateExistingUsername), so it never meets an
// account's user.
const cleanupUser = "puqminio~cleanup"

// removeTopics removes every notification topic of the tenant and returns
// how many there were. It makes the helper user (or takes the one an
// earlier run left), lists and deletes the topics with its key, checks
// that none is left and removes the helper. On a gateway that does not
// offer topics (rgw_enable_apis without "notifications") no tenant can
// have made one since, and none can be listed: there is nothing to do.
func (g *Gateway) removeTopics(ctx context.Context, tenant string) (int, error) {
	uid := tenant + "$" + cleanupUser
	doing := "remove the notification topics of tenant " + tenant
	if on, err := g.admin.TopicsOffered(ctx); err != nil || !on {
		return 0, translate(err, doing)
	}
	u, err := g.admin.UserInfo(ctx, uid)
	if isCode(err, rgwadmin.CodeNoSuchUser) {
		ak, sk := "PUQCLEAN"+randomHex(12), randomHex(20)
		u, err = g.admin.CreateUser(ctx, rgwadmin.CreateUserReq{UID: uid, DisplayName: "puqminio: removing the tenant's topics",
			AccessKey: ak, SecretKey: sk, MaxBuckets: -1})
		if isCode(err, rgwadmin.CodeUserAlreadyExists) {
			u, err = g.admin.UserInfo(ctx, uid)
		}
	}
	if err != nil {
		return 0, translate(err, doing)
	}
	if len(u.Keys) == 0 {
		return 0, domain.Errorf(domain.EREMOTE, "%s: the helper user %s has no key", doing, uid)
	}
	key := u.Keys[0]
	arns, err := g.listTopics(ctx, key)
	if err != nil {
		return 0, translate(err, doing)
	}
	for _, arn := range arns {
		if err := g.snsCall(ctx, key, url.Values{"Action": {"DeleteTopic"}, "TopicArn": {arn}}, nil); err != nil {
			return 0, translate(err, doing)
		}
	}
	if left, err := g.listTopics(ctx, key); err != nil {
		return 0, translate(err, doing)
	} else if len(left) > 0 {
		return 0, domain.Retryf(domain.EUNAVAILABLE, "%s: %d topics are still there after deleting them; retrying is safe", doing, len(left))
	}
	if err := g.admin.RemoveUser(ctx, uid, rgwadmin.RemoveUserOptions{PurgeData: true}); err != nil && !isCode(err, rgwadmin.CodeNoSuchUser) {
		return 0, translate(err, doing)
	}
	return len(arns), nil
}

// listTopics returns the ARNs of the topics of key's tenant.
func (g *Gateway) listTopics(ctx context.Context, key rgwadmin.Key) ([]string, error) {
	var w struct {
		Topics []struct {
			Arn string `xml:"TopicArn"`
		} `xml:"ListTopicsResult>Topics>member"`
	}
	if err := g.snsCall(ctx, key, url.Values{"Action": {"ListTopics"}}, &w); err != nil {
		return nil, err
	}
	out := make([]string, len(w.Topics))
	for i, t := range w.Topics {
		out[i] = t.Arn
	}
	return out, nil
}

// snsCall sends one call of RGW's SNS API as key's user, a form POST to
// the gateway's root, and decodes the XML answer into out.
func (g *Gateway) snsCall(ctx context.Context, key rgwadmin.Key, form url.Values, out any) error {
	form.Set("Version", "2010-03-31")
	b, err := g.s3Raw(ctx, key, http.MethodPost, "/", nil, []byte(form.Encode()))
	if err != nil || out == nil {
		return err
	}
	if err := xml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("rgw: sns %s: decode answer: %w", form.Get("Action"), err)
	}
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
