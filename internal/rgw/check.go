package rgw

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// RequiredCaps are the admin caps the module's calls need, as radosgw-admin
// takes them: users (create, modify, keys, quota, remove), buckets (sizes;
// removing a bucket whose owner is gone), usage (read and trim the usage
// log), metadata (read a bucket's policy, which no S3 call of the admin
// can) and user-policy (write and read the guard policy of each user).
const RequiredCaps = "users=*;buckets=*;usage=*;metadata=read;user-policy=*"

// ServerCheck is what Check found.
type ServerCheck struct {
	// Version is the Ceph release the gateway reports ("16.2.15"), from
	// its Swift info page; "" when the Swift API is off.
	Version string
	// AdminUser is the uid of the admin credentials, and Caps its caps as
	// radosgw-admin writes them. AllCaps says the user is an RGW admin or
	// system user, which passes every admin check whatever its caps.
	AdminUser string
	Caps      string
	AllCaps   bool
	// Missing lists what RequiredCaps has that the user lacks:
	// "usage=write".
	Missing []string
	// Topics says the gateway offers its SNS API, so any tenant can make
	// notification topics with a push endpoint: a URL of its choosing
	// that the gateway POSTs events to, its internal network included. No
	// user policy stops it on pacific; the gateway's rgw_enable_apis
	// without "notifications" does (docs/ceph-notes.md).
	Topics bool
}

// Check asks the gateway whether it serves S3, which release it runs, and
// whether the admin credentials have the caps the module needs. Missing
// caps are an EUNAUTHORIZED error naming each, with the check.
func (g *Gateway) Check(ctx context.Context) (ServerCheck, error) {
	var out ServerCheck
	if err := g.serving(ctx); err != nil {
		return out, err
	}
	out.Version = g.version(ctx)
	self, err := g.admin.UserByAccessKey(ctx, g.accessKey)
	if isCode(err, rgwadmin.CodeAccessDenied) {
		// The admin's own key exists (it signed the call), so this is the
		// caps, not a missing key.
		out.Missing = []string{"users=read"}
		return out, domain.Errorf(domain.EUNAUTHORIZED, "the server's admin credentials may not read users: the RGW user lacks the cap users=read. The module needs %s: radosgw-admin caps add --uid=<that user> --caps=%q", RequiredCaps, RequiredCaps).WithCause(err)
	}
	if err != nil {
		return out, translate(err, "read the admin user")
	}
	out.AdminUser, out.AllCaps = self.UID, self.Admin || self.System
	if out.Topics, err = g.admin.TopicsOffered(ctx); err != nil {
		return out, translate(err, "ask whether the gateway offers notification topics")
	}
	have := map[string]string{}
	var caps []string
	for _, c := range self.Caps {
		have[c.Type] = c.Perm
		caps = append(caps, c.Type+"="+c.Perm)
	}
	out.Caps = strings.Join(caps, ";")
	if out.AllCaps {
		return out, nil
	}
	for _, want := range strings.Split(RequiredCaps, ";") {
		typ, perm, _ := strings.Cut(want, "=")
		for _, p := range []string{"read", "write"} {
			if (perm == "*" || perm == p) && !permits(have[typ], p) {
				out.Missing = append(out.Missing, typ+"="+p)
			}
		}
	}
	if len(out.Missing) > 0 {
		return out, domain.Errorf(domain.EUNAUTHORIZED, "the server's admin user %s lacks the caps %s, which the module needs: radosgw-admin caps add --uid=%s --caps=%q",
			self.UID, strings.Join(out.Missing, ", "), self.UID, capsToAdd(out.Missing))
	}
	return out, nil
}

// permits reports whether an RGW cap permission ("*", "read", "write")
// allows p.
func permits(have, p string) bool {
	return have == "*" || have == p
}

// capsToAdd writes missing caps as radosgw-admin caps add takes them.
func capsToAdd(missing []string) string {
	perms := map[string][]string{}
	var order []string
	for _, m := range missing {
		typ, p, _ := strings.Cut(m, "=")
		if perms[typ] == nil {
			order = append(order, typ)
		}
		perms[typ] = append(perms[typ], p)
	}
	var out []string
	for _, typ := range order {
		p := perms[typ][0]
		if len(perms[typ]) == 2 {
			p = "*"
		}
		out = append(out, typ+"="+p)
	}
	return strings.Join(out, ";")
}

// serving checks that the gateway answers S3: an anonymous listing of
// buckets, which RGW answers 200 with an empty list.
func (g *Gateway) serving(ctx context.Context) error {
	const doing = "reach the gateway"
	status, _, err := g.anonymousGet(ctx, "/")
	if err != nil {
		return translate(err, doing)
	}
	if status != http.StatusOK {
		if status >= 500 {
			return domain.Retryf(domain.EUNAVAILABLE, "%s: it answered HTTP %d to an anonymous listing; retrying is safe", doing, status)
		}
		return domain.Errorf(domain.EREMOTE, "%s: it answered HTTP %d to an anonymous listing, which an RGW answers with 200; is the endpoint an RGW?", doing, status)
	}
	return nil
}

// version reads the Ceph release from the Swift info page, which RGW
// serves to anyone while the Swift API is on; "" otherwise.
func (g *Gateway) version(ctx context.Context) string {
	status, body, err := g.anonymousGet(ctx, "/swift/info")
	if err != nil || status != http.StatusOK {
		return ""
	}
	var info struct {
		Swift struct {
			Version string `json:"version"`
		} `json:"swift"`
	}
	if json.Unmarshal(body, &info) != nil {
		return ""
	}
	return info.Swift.Version
}

// anonymousGet sends an unsigned GET of path and returns the status and
// up to 64 KiB of the body.
func (g *Gateway) anonymousGet(ctx context.Context, path string) (int, []byte, error) {
	scheme := "http"
	if g.secure {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+g.endpoint+path, http.NoBody)
	if err != nil {
		return 0, nil, fmt.Errorf("rgw: %w", err)
	}
	resp, err := (&http.Client{Transport: g.transport}).Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, body, err
}
