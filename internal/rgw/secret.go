package rgw

import (
	"context"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// SecretOptions choose what a secret change does to the user's other
// credentials.
type SecretOptions struct {
	// KeepOtherKeys keeps the user's other S3 keys and its subusers.
	// Tenants cannot make either on RGW (pacific has no IAM
	// CreateAccessKey: 405); only an admin can, by hand.
	KeepOtherKeys bool
}

// SecretChanged is what ChangeSecret removed besides the old secret.
type SecretChanged struct {
	KeysRemoved     []string // other S3 access keys of the user
	SubusersRemoved []string // subusers, with their keys
}

// ChangeSecret gives the account's key (access key = user name) the new
// secret: the old one is refused from the next request. Changing a key's
// secret touches no other credential on RGW: the user's other S3 keys and
// its subusers' keys went on working (measured), so unless opts keeps them
// they are removed, as a password change after a leak should end every
// credential made before. A suspended user stays suspended. RGW drops the
// user's guards with the change: call SetGuards after.
func (g *Gateway) ChangeSecret(ctx context.Context, a Account, newSecret string, opts SecretOptions) (SecretChanged, error) {
	var out SecretChanged
	if err := g.naming.check(a); err != nil {
		return out, err
	}
	if err := domain.ValidatePassword(newSecret); err != nil {
		return out, domain.Field("the new secret", err)
	}
	uid := g.naming.UID(a)
	u, err := g.user(ctx, a)
	if err != nil {
		return out, err
	}
	err = g.admin.PutKey(ctx, uid, a.User, newSecret)
	if isCode(err, rgwadmin.CodeKeyExists) {
		return out, g.keyConflict(ctx, a, err)
	}
	if err != nil {
		return out, translate(err, "set the secret of "+uid)
	}
	if opts.KeepOtherKeys {
		return out, nil
	}
	for _, k := range u.Keys {
		if k.User != uid || k.AccessKey == a.User {
			continue // the account's own key, or a subuser's (removed with it)
		}
		if err := g.admin.RemoveKey(ctx, uid, k.AccessKey); err != nil {
			return out, translate(err, "remove access key "+k.AccessKey+" of "+uid)
		}
		out.KeysRemoved = append(out.KeysRemoved, k.AccessKey)
	}
	for _, su := range u.Subusers {
		if err := g.admin.RemoveSubuser(ctx, uid, su.ID); err != nil {
			return out, translate(err, "remove subuser "+su.ID)
		}
		out.SubusersRemoved = append(out.SubusersRemoved, su.ID)
	}
	return out, nil
}
