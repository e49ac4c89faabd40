package account

import (
	"context"
	"strings"
	"time"

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
	if m.onRGW() {
		return m.rgwCreate(ctx, st, svc, p, password)
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
	password, info, added, err := m.ensureUser(ctx, user, svc.Password, password)
	if err != nil {
		return domain.Created{}, err
	}
	if err := m.attach(ctx, user, info, pol); err != nil {
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
	if added && out.Bucket != "" {
		// A user made now owns only its empty default bucket: the pages
		// show it at once (the account stays due for its first
		// measurement).
		if err := st.SetBuckets(ctx, m.ServerID, svc.ID, []domain.Bucket{{Name: out.Bucket}}); err != nil {
			return domain.Created{}, err
		}
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
	return m.claimNameWith(ctx, st, svc, p, m.nameClash)
}

// clashFunc says what a candidate name would clash with ("" for nothing).
type clashFunc func(ctx context.Context, st Store, svc domain.ServiceRef, name string, random bool) (string, error)

// claimNameWith is claimName with the backend's clash check.
func (m *Manager) claimNameWith(ctx context.Context, st Store, svc domain.ServiceRef, p domain.Product, clash clashFunc) (domain.Account, error) {
	unlock, err := st.LockNames(ctx)
	if err != nil {
		return domain.Account{}, err
	}
	defer unlock()
	if rec, found, err := st.Account(ctx, m.ServerID, svc.ID); err != nil || (found && rec.Username != "") {
		return rec, err
	}
	user, err := m.pickUsername(ctx, st, svc, p, clash)
	if err != nil {
		return domain.Account{}, err
	}
	rec := domain.Account{ServerID: m.ServerID, ServiceID: svc.ID, Username: user, CreatedAt: m.now()}
	rec.State.Policy = domain.PolicyStandard
	return rec, st.SaveAccounts(ctx, []domain.Account{rec})
}

// ensureUser makes sure user exists and returns its secret, what MinIO
// says of it (nothing for a user it has just added) and whether it added
// it. A new user gets generated. A user that exists already (a repeated Create) keeps its
// secret when WHMCS's (current) is the one it has, so that the tenant's S3
// clients go on working, and keeps a suspension; otherwise it gets
// generated, which WHMCS then stores.
func (m *Manager) ensureUser(ctx context.Context, user, current, generated string) (string, domain.UserInfo, bool, error) {
	info, err := m.Admin.UserInfo(ctx, user)
	switch {
	case isNotFound(err):
		err := m.Admin.AddUser(ctx, user, generated, true)
		return generated, domain.UserInfo{Enabled: true}, err == nil, err
	case err != nil:
		return "", info, false, err
	}
	if current != "" && domain.ValidatePassword(current) == nil {
		if !info.Enabled {
			// A suspended user's key is refused whatever its secret, so
			// it cannot be checked: WHMCS's is kept as it is.
			return current, info, false, nil
		}
		ok, err := m.S3.CredentialsWork(ctx, user, current)
		if err != nil {
			return "", info, false, err
		}
		if ok {
			return current, info, false, nil
		}
	}
	return generated, info, false, m.Admin.ChangeSecret(ctx, user, generated, info.Enabled)
}

func (m *Manager) nameContext(svc domain.ServiceRef) domain.NameContext {
	return domain.NameContext{ClientID: svc.ClientID, ServiceID: svc.ID, Now: m.now()}
}

// pickUsername renders the rule and refuses (or, for random rules, redraws)
// a name whose bucket namespace overlaps an existing user's, or a name
// another create of this store has recorded, or that holds buckets nobody
// owns, or that is taken by another identity (a tenant may name its own
// access keys, and the server then refuses a user of that name).
//
// It asks the server about the few names that could clash rather than
// listing every user and bucket on each create (the list of users is an
// answer MinIO encrypts with a 64 MiB Argon2id): see nameClash.
func (m *Manager) pickUsername(ctx context.Context, st Store, svc domain.ServiceRef, p domain.Product, nameClash clashFunc) (string, error) {
	if !m.onRGW() {
		if err := m.freshNames(ctx, st); err != nil {
			return "", err
		}
	}
	random := domain.UsernameRuleIsRandom(p.UsernameRule)
	for range maxNameDraws {
		name, err := domain.RenderUsername(p.UsernameRule, m.nameContext(svc))
		if err != nil {
			return "", err
		}
		clash, err := nameClash(ctx, st, svc, name, random)
		if err != nil {
			return "", err
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

// nameListMaxAge is how old the server's last full listing of names may be
// for a create to rely on it; an older one is taken again first. The
// cron's names.refresh keeps it younger, so creates rarely pay for it.
const nameListMaxAge = time.Hour

// clashBatch is how many recorded candidates nameClash confirms at a time.
const clashBatch = 16

// nameClash says what name would overlap ("user 12", "bucket 12-34-x"),
// or "" when nothing does. The overlap is domain.NamespacesOverlap with
// every user, compared lower-cased, and domain.OwnsBucket with every
// bucket:
//   - the candidates come from the store (NameClashes: accounts of other
//     services, recorded even before their user exists, names terminated
//     since the last listing, and the users and buckets of the server's
//     last full listing, at most nameListMaxAge old), each confirmed with
//     the server by name, a listed one the server no longer has forgotten;
//   - the users whose namespace holds name's (its hyphen prefixes), name
//     itself as a user and as a bucket are asked live.
//
// No server-wide list is read: at 30,000 buckets listing them took half a
// second, and listing users is an answer MinIO encrypts; the cron lists
// both (names.refresh). What this sees later than a listing at each create
// would: a user or a bucket made by hand outside the module since the last
// listing (half an hour with the cron) whose name extends name after a
// hyphen ("12-34-x" for "12-34"). A tenant cannot make one: its buckets
// lie in its own namespace, which overlaps name's only when its user does,
// and users are asked live. docs/security.md says so.
func (m *Manager) nameClash(ctx context.Context, st Store, svc domain.ServiceRef, name string, random bool) (string, error) {
	swept := false
candidates:
	for {
		found, err := st.NameClashes(ctx, m.ServerID, svc.ID, name, clashBatch)
		if err != nil {
			return "", err
		}
		for _, c := range found {
			switch c.Kind {
			case domain.NameAccount:
				return "user " + c.Name, nil
			case domain.NameTerminated:
				// Terminated since the last listing: a bucket it made after
				// the last measurement may still be there. A listing now
				// removes what is left and frees the name; what it cannot
				// remove (retention) keeps the name taken.
				if swept {
					return "user " + c.Name + ", terminated; retention keeps some of its buckets", nil
				}
				if _, err := m.listNames(ctx, st); err != nil {
					return "", err
				}
				swept = true
				continue candidates
			case domain.NameUser:
				_, err := m.Admin.UserInfo(ctx, c.Name)
				switch domain.ErrorCode(err) {
				case "":
					return "user " + c.Name, nil
				case domain.ENOTFOUND, domain.ECONFLICT: // gone, or an access key: no namespace
				default:
					return "", err
				}
			case domain.NameBucket:
				ok, err := m.S3.BucketExists(ctx, c.Name)
				if err != nil {
					return "", err
				}
				if ok {
					return "bucket " + c.Name, nil
				}
			}
			if err := st.ForgetServerName(ctx, m.ServerID, c.Kind, c.Name); err != nil {
				return "", err
			}
		}
		// Every candidate of a full batch was stale: there may be more.
		if len(found) < clashBatch {
			break
		}
	}
	for _, pre := range domain.HyphenPrefixes(name) {
		_, err := m.Admin.UserInfo(ctx, pre)
		switch domain.ErrorCode(err) {
		case "":
			return "user " + pre, nil
		case domain.ENOTFOUND, domain.ECONFLICT:
		default:
			return "", err
		}
	}
	// A bucket named name itself, made since the last listing, is asked
	// about by name (bucket names are lower case). One whose name only
	// starts with name- no targeted call finds: the listing has it.
	exists, err := m.S3.BucketExists(ctx, strings.ToLower(name))
	if err != nil {
		return "", err
	}
	if exists {
		return "bucket " + strings.ToLower(name), nil
	}
	// Not a user, so only "no such user" means the name is free; an access
	// key of that name answers a conflict.
	_, err = m.Admin.UserInfo(ctx, name)
	switch domain.ErrorCode(err) {
	case domain.ENOTFOUND:
		return "", nil
	case "":
		return "user " + name, nil
	case domain.ECONFLICT:
		if random {
			return "access key " + name, nil
		}
		return "", m.evictSquatter(ctx, name)
	default:
		return "", err
	}
}

// freshNames takes the server's full listing of names again when the last
// one is older than nameListMaxAge (or there is none).
func (m *Manager) freshNames(ctx context.Context, st Store) error {
	l, ok, err := st.ServerNameList(ctx, m.ServerID)
	if err != nil || (ok && m.now().Sub(l.TakenAt) < nameListMaxAge) {
		return err
	}
	_, err = m.listNames(ctx, st)
	return err
}

// listNames lists every user and bucket on the server and records them
// for nameClash: the one server-wide read creates rely on, made by the
// cron (RefreshNames), Test Connection, and a create whose listing is
// stale.
func (m *Manager) listNames(ctx context.Context, st Store) (NamesListed, error) {
	at := m.now()
	users, err := m.Admin.ListUsers(ctx)
	if err != nil {
		return NamesListed{}, err
	}
	buckets, err := m.S3.ListBuckets(ctx)
	if err != nil {
		return NamesListed{}, err
	}
	un := make([]string, 0, len(users))
	for u := range users {
		un = append(un, u)
	}
	bn := make([]string, len(buckets))
	for i, b := range buckets {
		bn[i] = b.Name
	}
	if err := st.SaveServerNames(ctx, m.ServerID, un, bn, at); err != nil {
		return NamesListed{}, err
	}
	if err := m.sweepTerminated(ctx, st, bn, at); err != nil {
		return NamesListed{}, err
	}
	// The same look records the server's version for the admin tabs.
	if si, err := m.Admin.ServerInfo(ctx); err == nil {
		if err := st.SaveServerVersion(ctx, m.ServerID, si.Version(), at); err != nil {
			return NamesListed{}, err
		}
	}
	return NamesListed{Users: len(un), Buckets: len(bn), TakenAt: at}, nil
}

// sweepTerminated removes, from a listing of the server's buckets taken at
// at, the buckets of names terminate removed that are still there (made
// by the tenant after the last measurement terminate knew of), and frees
// each name that has none left. A bucket retention keeps stays, and so
// does its name.
func (m *Manager) sweepTerminated(ctx context.Context, st Store, buckets []string, at time.Time) error {
	names, err := st.TerminatedNames(ctx, m.ServerID)
	if err != nil || len(names) == 0 {
		return err
	}
	left := map[string]bool{}
	for _, b := range buckets {
		i, ok := ownerOf(names, b)
		if !ok {
			continue
		}
		if err := m.S3.SetBucketPolicy(ctx, b, ""); err != nil {
			return err
		}
		n, err := m.S3.Purge(ctx, b)
		switch {
		case domain.ErrorCode(err) == domain.ERETENTION:
			left[i] = true
			m.log().Warn("bucket of a terminated account kept by retention", "user", i, "bucket", b)
			continue
		case err != nil:
			return err
		}
		m.log().Info("bucket of a terminated account removed", "user", i, "bucket", b, "objects", n)
	}
	for user := range names {
		if !left[user] {
			if err := st.ClearTerminatedName(ctx, m.ServerID, user, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// ownerOf finds the name among names whose namespace holds bucket.
func ownerOf(names map[string]time.Time, bucket string) (string, bool) {
	if _, ok := names[bucket]; ok {
		return bucket, true
	}
	for k := len(bucket) - 1; k > 0; k-- {
		if bucket[k] == '-' {
			if _, ok := names[bucket[:k]]; ok {
				return bucket[:k], true
			}
		}
	}
	return "", false
}

// NamesListed is the result of a listing of the server's names.
type NamesListed struct {
	Users   int       `json:"users"`
	Buckets int       `json:"buckets"`
	TakenAt time.Time `json:"takenAt"`
	Skipped bool      `json:"skipped"` // the last listing was young enough
}

// RefreshNames lists the server's users and buckets for creates to check
// new names against (the cron calls it). With onlyIfStale, a listing
// younger than half of nameListMaxAge is kept.
func (m *Manager) RefreshNames(ctx context.Context, onlyIfStale bool) (NamesListed, error) {
	if m.onRGW() {
		// Each service is an RGW tenant of its own: no name to check
		// against a listing.
		return NamesListed{Skipped: true}, nil
	}
	st, err := m.store()
	if err != nil {
		return NamesListed{}, err
	}
	if onlyIfStale {
		l, ok, err := st.ServerNameList(ctx, m.ServerID)
		if err != nil {
			return NamesListed{}, err
		}
		if ok && m.now().Sub(l.TakenAt) < nameListMaxAge/2 {
			return NamesListed{Users: l.Users, Buckets: l.Buckets, TakenAt: l.TakenAt, Skipped: true}, nil
		}
	}
	return m.listNames(ctx, st)
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
