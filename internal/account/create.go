package account

import (
	"context"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// maxNameDraws bounds how often a random username rule is drawn again when
// the name is taken.
const maxNameDraws = 20

// maxBucketName is S3's limit on a bucket name.
const maxBucketName = 63

// Create provisions the account: user, own policy, group membership and the
// default bucket. The user name is recorded before any change on the
// server, so a retried create reuses it and converges.
func (m *Manager) Create(ctx context.Context, svc domain.ServiceRef, p domain.Product) (domain.Created, error) {
	if err := p.Normalize(); err != nil {
		return domain.Created{}, err
	}
	if svc.ID <= 0 {
		return domain.Created{}, domain.Errorf(domain.EMISSING, "service.id is required for account.create")
	}
	if svc.ClientID <= 0 {
		return domain.Created{}, domain.Errorf(domain.EMISSING, "service.clientId is required for account.create")
	}
	// The rule and the default bucket are checked on the name the rule
	// gives now (a redraw of a random rule has the same length), before
	// anything is touched.
	sample, err := domain.RenderUsername(p.UsernameRule, m.nameContext(svc))
	if err != nil {
		return domain.Created{}, domain.Field("product.usernameRule", err)
	}
	if p.DefaultBucket {
		if b := domain.DefaultBucketName(sample, p.BucketSuffix); len(b) > maxBucketName {
			return domain.Created{}, domain.Errorf(domain.EINVALID, "product.bucketSuffix makes the default bucket %q longer than %d characters; shorten it", domain.Printable(b), maxBucketName)
		}
	}
	password, err := domain.GeneratePassword(p.PasswordRule)
	if err != nil {
		return domain.Created{}, err
	}
	st, err := m.store()
	if err != nil {
		return domain.Created{}, err
	}
	if err := m.checkGroup(ctx, &p); err != nil {
		return domain.Created{}, err
	}
	rec, found, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return domain.Created{}, err
	}
	user := rec.Username
	if !found || user == "" {
		if rec, err = m.claimName(ctx, st, svc, p); err != nil {
			return domain.Created{}, err
		}
		user = rec.Username
	}
	std, err := p.PolicyDocument(domain.PolicyStandard, user)
	if err != nil {
		return domain.Created{}, err
	}
	// The policy exists before the user can log in, so the user never holds
	// more than its own policy.
	pol := domain.PolicyName(user)
	if err := m.Admin.AddCannedPolicy(ctx, pol, std); err != nil {
		return domain.Created{}, err
	}
	if password, err = m.ensureUser(ctx, user, svc.Password, password); err != nil {
		return domain.Created{}, err
	}
	if err := m.Admin.AttachPolicy(ctx, user, pol); err != nil {
		return domain.Created{}, err
	}
	if err := m.syncGroup(ctx, user, rec.Group, p.Group); err != nil {
		return domain.Created{}, err
	}
	out := domain.Created{Username: user, Password: password, Policy: pol, Group: p.Group}
	if p.DefaultBucket {
		out.Bucket = domain.DefaultBucketName(user, p.BucketSuffix)
		if err := m.S3.MakeBucket(ctx, out.Bucket); err != nil {
			return domain.Created{}, err
		}
	}
	ch := domain.AccountChange{Username: user, Group: &p.Group, Policy: domain.PolicyStandard, PolicySig: p.PolicySignature(domain.PolicyStandard)}
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, ch); err != nil {
		return domain.Created{}, err
	}
	m.log().Info("account created", "service", svc.ID, "user", user, "bucket", out.Bucket, "group", p.Group)
	return out, nil
}

// claimName picks a user name for svc and records it, under a lock shared
// by every puqminio process of this store: the pick also avoids the names
// other creates recorded but have not made on the server yet, so two
// creates at the same moment cannot both pass the overlap check ("race" and
// "race-7") and leave one tenant owning the other's buckets. A name
// another create of the same service recorded while this one waited for
// the lock is taken as it is: drawing again would leave a second user on
// the server for one service.
func (m *Manager) claimName(ctx context.Context, st Store, svc domain.ServiceRef, p domain.Product) (domain.Account, error) {
	unlock, err := st.LockNames(ctx)
	if err != nil {
		return domain.Account{}, err
	}
	defer unlock()
	if rec, found, err := st.Account(ctx, m.ServerID, svc.ID); err != nil || (found && rec.Username != "") {
		return rec, err
	}
	user, err := m.pickUsername(ctx, st, svc, p)
	if err != nil {
		return domain.Account{}, err
	}
	rec := domain.Account{ServerID: m.ServerID, ServiceID: svc.ID, Username: user, CreatedAt: m.now()}
	rec.State.Policy = domain.PolicyStandard
	return rec, st.SaveAccounts(ctx, []domain.Account{rec})
}

// ensureUser makes sure user exists and returns its secret. A new user
// gets generated. A user that exists already (a repeated Create) keeps its
// secret when WHMCS's (current) is the one it has, so that the tenant's S3
// clients go on working, and keeps a suspension; otherwise it gets
// generated, which WHMCS then stores.
func (m *Manager) ensureUser(ctx context.Context, user, current, generated string) (string, error) {
	info, err := m.Admin.UserInfo(ctx, user)
	switch {
	case isNotFound(err):
		return generated, m.Admin.AddUser(ctx, user, generated, true)
	case err != nil:
		return "", err
	}
	if current != "" && domain.ValidatePassword(current) == nil {
		if !info.Enabled {
			// A suspended user's key is refused whatever its secret, so
			// it cannot be checked: WHMCS's is kept as it is.
			return current, nil
		}
		ok, err := m.S3.CredentialsWork(ctx, user, current)
		if err != nil {
			return "", err
		}
		if ok {
			return current, nil
		}
	}
	return generated, m.Admin.ChangeSecret(ctx, user, generated, info.Enabled)
}

func (m *Manager) nameContext(svc domain.ServiceRef) domain.NameContext {
	return domain.NameContext{ClientID: svc.ClientID, ServiceID: svc.ID, Now: m.now()}
}

// pickUsername renders the rule and refuses (or, for random rules, redraws)
// a name whose bucket namespace overlaps an existing user's, or a name
// another create of this store has recorded, or that holds buckets nobody
// owns, or that is taken by another identity (a tenant may name its own
// access keys, and the server then refuses a user of that name).
func (m *Manager) pickUsername(ctx context.Context, st Store, svc domain.ServiceRef, p domain.Product) (string, error) {
	users, err := m.Admin.ListUsers(ctx)
	if err != nil {
		return "", err
	}
	recorded, err := st.AccountsByServer(ctx, m.ServerID)
	if err != nil {
		return "", err
	}
	for _, a := range recorded {
		if a.Username != "" && a.ServiceID != svc.ID {
			if _, ok := users[a.Username]; !ok {
				users[a.Username] = domain.UserInfo{}
			}
		}
	}
	buckets, err := m.S3.ListBuckets(ctx)
	if err != nil {
		return "", err
	}
	random := domain.UsernameRuleIsRandom(p.UsernameRule)
	for range maxNameDraws {
		name, err := domain.RenderUsername(p.UsernameRule, m.nameContext(svc))
		if err != nil {
			return "", err
		}
		clash := ""
		for u := range users {
			if domain.NamespacesOverlap(name, strings.ToLower(u)) {
				clash = "user " + u
				break
			}
		}
		if clash == "" {
			for _, b := range buckets {
				if domain.OwnsBucket(name, b.Name) {
					clash = "bucket " + b.Name
					break
				}
			}
		}
		if clash == "" {
			// Not a user, so only "no such user" means the name is free; an
			// access key of that name answers a conflict.
			_, err := m.Admin.UserInfo(ctx, name)
			switch domain.ErrorCode(err) {
			case domain.ENOTFOUND:
			case "":
				clash = "user " + name
			case domain.ECONFLICT:
				if random {
					clash = "access key " + name
				} else if err := m.evictSquatter(ctx, name); err != nil {
					return "", err
				}
			default:
				return "", err
			}
		}
		if clash == "" {
			return name, nil
		}
		if !random {
			return "", domain.Errorf(domain.ECONFLICT, "user name %q overlaps the bucket namespace of existing %s; change the username rule or remove the old account", name, clash)
		}
	}
	return "", domain.Errorf(domain.ECONFLICT, "no free user name after %d draws of the rule %q; make it longer", maxNameDraws, p.UsernameRule)
}

// evictSquatter deletes the access key a tenant named after a user name
// this create needs: a tenant must not be able to block another client's
// account by guessing its name (products deny making keys with S3 tools
// unless domain.PermToolKeys; keys made before, or where it is allowed,
// are caught here). The key's owner is logged.
func (m *Manager) evictSquatter(ctx context.Context, name string) error {
	parent, err := m.Admin.AccessKeyParent(ctx, name)
	if err != nil && !isNotFound(err) {
		return err
	}
	if err := m.Admin.DeleteServiceAccount(ctx, name); err != nil && !isNotFound(err) {
		return err
	}
	m.log().Warn("access key taking a user name deleted", "accessKey", name, "owner", parent)
	return nil
}

// syncGroup makes user a member of want and no longer of had (the group this
// module put it in before), leaving groups an admin added by hand alone.
func (m *Manager) syncGroup(ctx context.Context, user, had, want string) error {
	if had != "" && had != want {
		if err := m.Admin.RemoveGroupMembers(ctx, had, user); err != nil && !isNotFound(err) {
			return err
		}
	}
	if want != "" {
		return m.Admin.AddGroupMembers(ctx, want, user)
	}
	return nil
}
