package rgw

import (
	"context"
	"strings"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// Details is what the gateway knows of an account. It holds no secret.
type Details struct {
	Exists    bool
	Suspended bool
	// Provisioning says Provision made the user but did not finish.
	Provisioning bool
	DisplayName  string
	QuotaBytes   int64 // 0: no limit
	MaxBuckets   int   // 0: no limit
	// AccessKeys are the user's own S3 access keys; the account's is the
	// user name.
	AccessKeys []string
	// Subusers are "id (access)"; each has keys of its own.
	Subusers []string
	OpMask   string
	// Guards is the user's guard policy document (SetGuards); "" when it
	// has none, which is what a product permitting everything gets.
	Guards string
}

// Details reads the account's user. A user that does not exist is
// Exists false, not an error.
func (g *Gateway) Details(ctx context.Context, a Account) (Details, error) {
	if err := g.naming.check(a); err != nil {
		return Details{}, err
	}
	u, err := g.admin.UserInfo(ctx, g.naming.UID(a))
	if isCode(err, rgwadmin.CodeNoSuchUser) {
		return Details{}, nil
	}
	if err != nil {
		return Details{}, translate(err, "read user "+g.naming.UID(a))
	}
	d := Details{Exists: true, Suspended: u.Suspended, Provisioning: strings.HasPrefix(u.DisplayName, provisioning),
		DisplayName: strings.TrimPrefix(u.DisplayName, provisioning), MaxBuckets: u.MaxBuckets, OpMask: u.OpMask}
	if u.UserQuota.Enabled && u.UserQuota.MaxSize > 0 {
		d.QuotaBytes = u.UserQuota.MaxSize
	}
	for _, k := range u.Keys {
		if k.User == u.UID {
			d.AccessKeys = append(d.AccessKeys, k.AccessKey)
		}
	}
	for _, su := range u.Subusers {
		d.Subusers = append(d.Subusers, su.ID+" ("+su.Permissions+")")
	}
	d.Guards, err = g.admin.UserPolicy(ctx, u.UID, guardPolicy)
	if isCode(err, rgwadmin.CodeNoSuchEntity) {
		err = nil
	}
	return d, translate(err, "read the guards of user "+u.UID)
}
