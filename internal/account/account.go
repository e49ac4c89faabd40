// Package account runs an S3 storage account through its life on MinIO:
// create, suspend, unsuspend, terminate, change password, change package and
// policy switching. Every action is idempotent: after a partial failure,
// running it again finishes the job instead of failing on what is already
// done.
package account

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// Manager carries out account actions on one MinIO server.
type Manager struct {
	Admin    *minioadmin.Client
	S3       *s3.Client
	Store    *sqlite.DB // may be nil for actions that need no history
	ServerID int64
	Now      func() time.Time
	Log      *slog.Logger
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.Default()
}

// maxNameDraws bounds how often a random username rule is drawn again when
// the name is taken.
const maxNameDraws = 20

// Create provisions the account: user, own policy, group membership and the
// default bucket. The user name is recorded before any MinIO change, so a
// retried create reuses it and converges.
func (m *Manager) Create(ctx context.Context, svc domain.ServiceRef, p domain.Product) (domain.Created, error) {
	if err := p.Normalize(); err != nil {
		return domain.Created{}, err
	}
	if svc.ID <= 0 || svc.ClientID <= 0 {
		return domain.Created{}, domain.Errorf(domain.EMISSING, "service.id and service.clientId are required to create an account")
	}
	password, err := domain.GeneratePassword(p.PasswordRule)
	if err != nil {
		return domain.Created{}, err
	}
	rec, found, err := m.Store.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return domain.Created{}, err
	}
	user := rec.Username
	if !found {
		// Validate the rule and the policies against a sample name before
		// asking MinIO anything.
		if _, err := domain.RenderUsername(p.UsernameRule, m.nameContext(svc)); err != nil {
			return domain.Created{}, err
		}
		if err := validatePolicies(&p, "sample-user"); err != nil {
			return domain.Created{}, err
		}
		// Picking and recording the name happen under a lock shared by every
		// puqminio process of this store, and the pick also avoids the names
		// other creates recorded but have not made on MinIO yet: two creates
		// at the same moment could otherwise both pass the overlap check
		// ("race" and "race-7"), and one tenant would own the other's buckets.
		unlock, err := lockNames(ctx, m.Store.Path())
		if err != nil {
			return domain.Created{}, err
		}
		user, err = m.pickUsername(ctx, svc, p)
		if err == nil {
			rec = sqlite.Account{ServerID: m.ServerID, ServiceID: svc.ID, Username: user, Group: p.Group, CreatedAt: m.now()}
			rec.State.Policy = domain.PolicyStandard
			err = m.Store.SaveAccount(ctx, rec)
		}
		unlock()
		if err != nil {
			return domain.Created{}, err
		}
	}
	std, err := domain.RenderPolicy(p.Policy, domain.DefaultPolicy, user, "standard", p.AllowForeignResources)
	if err != nil {
		return domain.Created{}, err
	}
	if _, err := domain.RenderPolicy(p.LimitPolicy, domain.DefaultLimitPolicy, user, "limit", p.AllowForeignResources); err != nil {
		return domain.Created{}, err
	}
	bucket := ""
	if p.DefaultBucket {
		// Checked before any change, so a bad suffix changes nothing.
		bucket = domain.DefaultBucketName(user, p.BucketSuffix)
		if len(bucket) > 63 {
			return domain.Created{}, domain.Errorf(domain.EINVALIDNAME, "default bucket %q is longer than 63 characters; shorten product.bucketSuffix", bucket)
		}
	}
	// The policy exists before the user can log in, so the user never holds
	// more than its own policy.
	pol := domain.PolicyName(user)
	if err := m.Admin.AddCannedPolicy(ctx, pol, std); err != nil {
		return domain.Created{}, translate(err, "create policy "+pol)
	}
	if err := m.Admin.AddUser(ctx, user, password, true); err != nil {
		return domain.Created{}, translate(err, "create user "+user)
	}
	if err := m.Admin.AttachPolicy(ctx, user, pol); err != nil {
		return domain.Created{}, translate(err, "attach policy "+pol)
	}
	if err := m.syncGroup(ctx, user, rec.Group, p.Group); err != nil {
		return domain.Created{}, err
	}
	out := domain.Created{Username: user, Password: password, Policy: pol, Group: p.Group}
	if bucket != "" {
		out.Bucket = bucket
		if err := m.S3.MakeBucket(ctx, out.Bucket); err != nil {
			return domain.Created{}, err
		}
	}
	rec.Group = p.Group
	rec.State.Policy = domain.PolicyStandard
	if err := m.Store.SaveAccount(ctx, rec); err != nil {
		return domain.Created{}, err
	}
	m.log().Info("account created", "service", svc.ID, "user", user, "bucket", out.Bucket, "group", p.Group)
	return out, nil
}

func validatePolicies(p *domain.Product, user string) error {
	if _, err := domain.RenderPolicy(p.Policy, domain.DefaultPolicy, user, "standard", p.AllowForeignResources); err != nil {
		return err
	}
	_, err := domain.RenderPolicy(p.LimitPolicy, domain.DefaultLimitPolicy, user, "limit", p.AllowForeignResources)
	return err
}

func (m *Manager) nameContext(svc domain.ServiceRef) domain.NameContext {
	return domain.NameContext{ClientID: svc.ClientID, ServiceID: svc.ID, Now: m.now()}
}

// pickUsername renders the rule and refuses (or, for random rules, redraws)
// a name whose bucket namespace overlaps an existing user's, or a name
// another create of this store has recorded, or that holds buckets nobody
// owns, or that is taken by another identity (a tenant may name its own
// access keys, and MinIO then refuses a user of that name).
func (m *Manager) pickUsername(ctx context.Context, svc domain.ServiceRef, p domain.Product) (string, error) {
	users, err := m.Admin.ListUsers(ctx)
	if err != nil {
		return "", translate(err, "list users")
	}
	recorded, err := m.Store.AccountsByServer(ctx, m.ServerID)
	if err != nil {
		return "", err
	}
	for _, a := range recorded {
		if a.Username != "" && a.ServiceID != svc.ID {
			if _, ok := users[a.Username]; !ok {
				users[a.Username] = minioadmin.UserInfo{}
			}
		}
	}
	buckets, err := m.S3.ListBuckets(ctx)
	if err != nil {
		return "", err
	}
	random := domain.UsernameRuleIsRandom(p.UsernameRule)
	for i := 0; i < maxNameDraws; i++ {
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
			// access key of that name answers "not allowed".
			_, err := m.Admin.UserInfo(ctx, name)
			switch {
			case minioadmin.ErrorCodeOf(err) == minioadmin.CodeNoSuchUser:
			case err == nil:
				clash = "user " + name
			case minioadmin.ErrorCodeOf(err) == "XMinioIAMActionNotAllowed":
				clash = "access key " + name + " (made by a tenant; delete it with mc admin user svcacct rm)"
			default:
				return "", translate(err, "check user name "+name)
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

// syncGroup makes user a member of want and no longer of had (the group this
// module put it in before), leaving groups an admin added by hand alone.
func (m *Manager) syncGroup(ctx context.Context, user, had, want string) error {
	if had != "" && had != want {
		if err := m.Admin.UpdateGroupMembers(ctx, had, []string{user}, true); err != nil && !isNotFound(err) {
			return translate(err, "remove "+user+" from group "+had)
		}
	}
	if want != "" {
		if err := m.Admin.UpdateGroupMembers(ctx, want, []string{user}, false); err != nil {
			return translate(err, "add "+user+" to group "+want)
		}
	}
	return nil
}

// record returns the stored record for svc, or a fresh one for an account
// this store has not seen (imported, or created before the store existed).
func (m *Manager) record(ctx context.Context, svc domain.ServiceRef) (sqlite.Account, error) {
	rec, found, err := m.Store.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return rec, err
	}
	if !found || rec.Username != svc.Username {
		rec = sqlite.Account{ServerID: m.ServerID, ServiceID: svc.ID, Username: svc.Username, CreatedAt: m.now()}
		rec.State.Policy = domain.PolicyStandard
	}
	return rec, nil
}

// SetEnabled suspends (false) or unsuspends (true) the user. A disabled
// user's access keys stop working with it.
func (m *Manager) SetEnabled(ctx context.Context, svc domain.ServiceRef, enabled bool) error {
	if err := domain.ValidateExistingUsername(svc.Username); err != nil {
		return err
	}
	if err := m.Admin.SetUserStatus(ctx, svc.Username, enabled); err != nil {
		return translate(err, "set status of user "+svc.Username)
	}
	m.log().Info("account status set", "service", svc.ID, "user", svc.Username, "enabled", enabled)
	return nil
}

// ChangePassword sets a new secret and keeps the account's status: MinIO's
// add-user would otherwise re-enable a suspended user.
func (m *Manager) ChangePassword(ctx context.Context, svc domain.ServiceRef) error {
	if err := domain.ValidateExistingUsername(svc.Username); err != nil {
		return err
	}
	if err := domain.ValidatePassword(svc.Password); err != nil {
		return err
	}
	info, err := m.Admin.UserInfo(ctx, svc.Username)
	if err != nil {
		return translate(err, "read user "+svc.Username)
	}
	if err := m.Admin.AddUser(ctx, svc.Username, svc.Password, info.Enabled); err != nil {
		return translate(err, "change password of "+svc.Username)
	}
	m.log().Info("password changed", "service", svc.ID, "user", svc.Username)
	return nil
}

// ChangePackage moves the account to a new product: group, policies and
// limits. The policy is decided again at once from the last measured usage.
func (m *Manager) ChangePackage(ctx context.Context, svc domain.ServiceRef, p domain.Product) (domain.PolicyState, error) {
	if err := domain.ValidateExistingUsername(svc.Username); err != nil {
		return "", err
	}
	if err := p.Normalize(); err != nil {
		return "", err
	}
	if err := validatePolicies(&p, svc.Username); err != nil {
		return "", err
	}
	if _, err := m.Admin.UserInfo(ctx, svc.Username); err != nil {
		return "", translate(err, "read user "+svc.Username)
	}
	rec, err := m.record(ctx, svc)
	if err != nil {
		return "", err
	}
	if err := m.syncGroup(ctx, svc.Username, rec.Group, p.Group); err != nil {
		return "", err
	}
	rec.Group = p.Group
	if err := m.Store.SaveAccount(ctx, rec); err != nil {
		return "", err
	}
	return m.ApplyPolicy(ctx, svc, p, "")
}

// ApplyPolicy decides and applies the account's policy. mode "auto" (or "")
// decides from the last measured usage and clears a forced state; "standard"
// and "limited" force that policy until the next "auto".
func (m *Manager) ApplyPolicy(ctx context.Context, svc domain.ServiceRef, p domain.Product, mode string) (domain.PolicyState, error) {
	if err := domain.ValidateExistingUsername(svc.Username); err != nil {
		return "", err
	}
	if err := p.Normalize(); err != nil {
		return "", err
	}
	rec, err := m.record(ctx, svc)
	if err != nil {
		return "", err
	}
	switch mode {
	case "", "auto":
		rec.State.Forced = ""
	case string(domain.PolicyStandard), string(domain.PolicyLimited):
		rec.State.Forced = domain.PolicyState(mode)
	default:
		return "", domain.Errorf(domain.EINVALID, "params.mode must be auto, standard or limited")
	}
	var used int64
	if last, ok, err := m.Store.Latest(ctx, svc.ID); err != nil {
		return "", err
	} else if ok {
		used = last.Bytes
	}
	ev := domain.Evaluate(&p, svc.Username, used, rec.State)
	if err := m.SetPolicyDocument(ctx, svc.Username, &p, ev.WantPolicy, true); err != nil {
		return "", err
	}
	rec.State.Policy = ev.WantPolicy
	if err := m.Store.SaveAccount(ctx, rec); err != nil {
		return "", err
	}
	return ev.WantPolicy, nil
}

// SetPolicyDocument writes the standard or limited document into the user's
// own canned policy. Replacing the document in place is a single call, so
// the tenant never sees a moment with both or neither. attach makes sure the
// policy is attached (an encrypted call, skipped in bulk runs).
func (m *Manager) SetPolicyDocument(ctx context.Context, user string, p *domain.Product, state domain.PolicyState, attach bool) error {
	raw, def, which := p.Policy, domain.DefaultPolicy, "standard"
	if state == domain.PolicyLimited {
		raw, def, which = p.LimitPolicy, domain.DefaultLimitPolicy, "limit"
	}
	doc, err := domain.RenderPolicy(raw, def, user, which, p.AllowForeignResources)
	if err != nil {
		return err
	}
	pol := domain.PolicyName(user)
	if err := m.Admin.AddCannedPolicy(ctx, pol, doc); err != nil {
		return translate(err, "write policy "+pol)
	}
	if attach {
		return m.ensureAttached(ctx, user, pol)
	}
	return nil
}

// ensureAttached attaches pol to user unless it is attached already. The
// check is a plain read; the attach is an encrypted call that costs an
// Argon2id derivation here and another in MinIO, so it is made only when
// needed. MinIO briefly answers "no such user" to an attach while the same
// user's status is being changed (an admin's suspend in another request);
// when the user is there on a second look, the attach is tried once more.
func (m *Manager) ensureAttached(ctx context.Context, user, pol string) error {
	info, err := m.Admin.UserInfo(ctx, user)
	if err != nil {
		return translate(err, "read user "+user)
	}
	if slices.Contains(info.Policies(), pol) {
		return nil
	}
	err = m.Admin.AttachPolicy(ctx, user, pol)
	if err != nil && minioadmin.ErrorCodeOf(err) == minioadmin.CodeNoSuchUser {
		if _, rerr := m.Admin.UserInfo(ctx, user); rerr == nil {
			err = m.Admin.AttachPolicy(ctx, user, pol)
		}
	}
	if err != nil {
		return translate(err, "attach policy "+pol)
	}
	return nil
}

// Terminate removes everything the account holds: every object version and
// delete marker in its buckets, the buckets, its access keys, its group
// memberships, the user and its policy. Objects under retention or legal
// hold stop it before anything is deleted. An account already gone is fine.
func (m *Manager) Terminate(ctx context.Context, svc domain.ServiceRef) (domain.Terminated, error) {
	out := domain.Terminated{Username: svc.Username}
	user := svc.Username
	if err := domain.ValidateExistingUsername(user); err != nil {
		return out, err
	}
	info, err := m.Admin.UserInfo(ctx, user)
	exists := err == nil
	if err != nil && !isNotFound(err) {
		return out, translate(err, "read user "+user)
	}
	buckets, err := m.S3.BucketsOf(ctx, user)
	if err != nil {
		return out, err
	}
	names := make([]string, len(buckets))
	for i, b := range buckets {
		names[i] = b.Name
	}
	locked, err := m.S3.FindLocked(ctx, names, m.now(), 5)
	if err != nil {
		return out, err
	}
	if len(locked) > 0 {
		var b strings.Builder
		for i, l := range locked {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s/%s (%s)", l.Bucket, domain.Printable(l.Key), l.Reason)
		}
		return out, domain.Errorf(domain.ERETENTION, "nothing was deleted: objects of %s are protected: %s. Wait for the retention to end or lift the legal hold, then terminate again", user, b.String())
	}
	if exists && info.Enabled {
		// No writes while we empty the buckets.
		if err := m.Admin.SetUserStatus(ctx, user, false); err != nil {
			return out, translate(err, "disable user "+user)
		}
	}
	for _, b := range buckets {
		n, err := m.S3.Purge(ctx, b.Name)
		out.Objects += n
		if err != nil {
			return out, err
		}
		out.Buckets++
	}
	if exists {
		keys, err := m.Admin.ListServiceAccounts(ctx, user)
		if err != nil && !isNotFound(err) {
			return out, translate(err, "list access keys of "+user)
		}
		for _, k := range keys {
			if err := m.Admin.DeleteServiceAccount(ctx, k.AccessKey); err != nil && !isNotFound(err) {
				return out, translate(err, "delete access key of "+user)
			}
			out.AccessKeys++
		}
		groups := append([]string(nil), info.MemberOf...)
		sort.Strings(groups)
		for _, g := range groups {
			if err := m.Admin.UpdateGroupMembers(ctx, g, []string{user}, true); err != nil && !isNotFound(err) {
				return out, translate(err, "remove "+user+" from group "+g)
			}
		}
		if err := m.Admin.RemoveUser(ctx, user); err != nil && !isNotFound(err) {
			return out, translate(err, "remove user "+user)
		}
	}
	if err := m.Admin.RemoveCannedPolicy(ctx, domain.PolicyName(user)); err != nil && !isNotFound(err) {
		return out, translate(err, "remove policy "+domain.PolicyName(user))
	}
	if err := m.confirmUserGone(ctx, user); err != nil {
		return out, err
	}
	if err := m.confirmBucketsGone(ctx, user); err != nil {
		return out, err
	}
	if m.Store != nil {
		if err := m.Store.DeleteAccount(ctx, m.ServerID, svc.ID); err != nil {
			return out, err
		}
	}
	m.log().Info("account terminated", "service", svc.ID, "user", user, "buckets", out.Buckets, "objects", out.Objects)
	return out, nil
}

// confirmUserGone checks that MinIO no longer knows user, and removes it
// once more if it does. After the server was paused (SIGSTOP) while a
// removal waited in it, MinIO was seen to list the removed user again, with
// no policy: a reload of its user cache raced with the removal.
func (m *Manager) confirmUserGone(ctx context.Context, user string) error {
	for attempt := 0; ; attempt++ {
		_, err := m.Admin.UserInfo(ctx, user)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return translate(err, "check that user "+user+" is gone")
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove user %s: MinIO still lists the user after removing it twice; retrying is safe", user)
		}
		if err := m.Admin.RemoveUser(ctx, user); err != nil && !isNotFound(err) {
			return translate(err, "remove user "+user)
		}
	}
}

// confirmBucketsGone checks that no bucket of user is listed any more, and
// removes the ones that are once more. MinIO's scanner was seen to bring
// back a bucket it was scanning while terminate removed it: an empty
// bucket without metadata (no creation date) that a plain removal clears.
func (m *Manager) confirmBucketsGone(ctx context.Context, user string) error {
	for attempt := 0; ; attempt++ {
		left, err := m.S3.BucketsOf(ctx, user)
		if err != nil || len(left) == 0 {
			return err
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove bucket %s: MinIO still lists the bucket after removing it twice; retrying is safe", left[0].Name)
		}
		for _, b := range left {
			if _, err := m.S3.Purge(ctx, b.Name); err != nil {
				return err
			}
		}
	}
}
