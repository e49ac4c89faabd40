package account

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Suspend locks the tenant out: the user is disabled, which refuses its
// keys, access keys, STS credentials and presigned URLs, and the policies
// of its buckets are taken off and kept, which ends anonymous access.
func (m *Manager) Suspend(ctx context.Context, svc domain.ServiceRef) error {
	if err := checkService(svc); err != nil {
		return err
	}
	st, err := m.store()
	if err != nil {
		return err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return err
	}
	if m.onRGW() {
		return m.rgwSuspend(ctx, st, svc)
	}
	if err := m.Admin.SetUserStatus(ctx, svc.Username, false); err != nil {
		return err
	}
	suspended := true
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Suspended: &suspended}); err != nil {
		return err
	}
	if err := m.withholdPublic(ctx, st, svc.ID, svc.Username, domain.WithheldSuspended); err != nil {
		return err
	}
	m.log().Info("account suspended", "service", svc.ID, "user", svc.Username)
	return nil
}

// Unsuspend lets the tenant in again and, unless the account is at its
// disk limit, puts back the bucket policies suspend took off when product p
// lets tenants publish.
func (m *Manager) Unsuspend(ctx context.Context, svc domain.ServiceRef, p domain.Product) error {
	if err := checkService(svc); err != nil {
		return err
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	st, err := m.store()
	if err != nil {
		return err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return err
	}
	if m.onRGW() {
		return m.rgwUnsuspend(ctx, st, svc, &p)
	}
	if err := m.Admin.SetUserStatus(ctx, svc.Username, true); err != nil {
		return err
	}
	suspended := false
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Suspended: &suspended}); err != nil {
		return err
	}
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return err
	}
	if rec.State.Policy != domain.PolicyLimited {
		if err := m.restorePublic(ctx, st, svc.ID, svc.Username, &p); err != nil {
			return err
		}
	}
	m.log().Info("account unsuspended", "service", svc.ID, "user", svc.Username)
	return nil
}

// ChangePassword sets svc.Password as the new secret and keeps the
// account's status (the server's add-user would otherwise re-enable a
// suspended user). It is how an account is recovered after a leak, so every
// credential made before ends with it: the STS credentials, and the access
// keys unless product p keeps them (domain.PermKeepKeys).
func (m *Manager) ChangePassword(ctx context.Context, svc domain.ServiceRef, p domain.Product) error {
	if err := checkService(svc); err != nil {
		return err
	}
	if svc.Password == "" {
		return domain.Errorf(domain.EMISSING, "service.password (the new password) is required")
	}
	if err := domain.ValidatePassword(svc.Password); err != nil {
		return domain.Field("service.password", err)
	}
	if err := p.Normalize(); err != nil {
		return err
	}
	st, err := m.store()
	if err != nil {
		return err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return err
	}
	if m.onRGW() {
		return m.rgwChangePassword(ctx, st, svc, &p)
	}
	info, err := m.Admin.UserInfo(ctx, svc.Username)
	if err != nil {
		return err
	}
	if err := m.Admin.ChangeSecret(ctx, svc.Username, svc.Password, info.Enabled); err != nil {
		return err
	}
	keepKeys := p.Allows(domain.PermKeepKeys)
	keys, err := m.endCredentials(ctx, svc.Username, keepKeys)
	if err != nil {
		return err
	}
	if !keepKeys {
		// The keys the client area made went with the others.
		if err := st.DeleteAccessKeys(ctx, m.ServerID, svc.ID); err != nil {
			return err
		}
	}
	m.log().Info("password changed", "service", svc.ID, "user", svc.Username, "accessKeysRemoved", keys)
	return nil
}

// ChangePackage moves the account to a new product: group, policies and
// limits. The policy is decided again at once from the last measured
// usage, and a policy an admin forced is released.
func (m *Manager) ChangePackage(ctx context.Context, svc domain.ServiceRef, p domain.Product) (domain.PolicyState, error) {
	if err := checkService(svc); err != nil {
		return "", err
	}
	if err := p.Normalize(); err != nil {
		return "", err
	}
	st, err := m.store()
	if err != nil {
		return "", err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return "", err
	}
	if m.onRGW() {
		return m.rgwApplyPolicy(ctx, st, svc, &p, "")
	}
	if err := m.checkGroup(ctx, &p); err != nil {
		return "", err
	}
	if _, err := m.Admin.UserInfo(ctx, svc.Username); err != nil {
		return "", err
	}
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return "", err
	}
	if err := m.syncGroup(ctx, svc.Username, rec.Group, p.Group); err != nil {
		return "", err
	}
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Group: &p.Group}); err != nil {
		return "", err
	}
	return m.applyPolicy(ctx, st, svc, &p, "")
}

// AppliedPolicy is the policy an account holds after ApplyPolicy, and the
// policy an admin forced ("" when usage decides).
type AppliedPolicy struct {
	Policy domain.PolicyState `json:"policyState"`
	Forced domain.PolicyState `json:"forced"`
}

// ApplyPolicy decides and applies the account's policy. mode "auto" (or "")
// decides from the last measured usage and clears a forced state;
// "standard" and "limited" force that policy until the next "auto".
func (m *Manager) ApplyPolicy(ctx context.Context, svc domain.ServiceRef, p domain.Product, mode string) (AppliedPolicy, error) {
	if err := checkService(svc); err != nil {
		return AppliedPolicy{}, err
	}
	forced, err := domain.ParsePolicyMode(mode)
	if err != nil {
		return AppliedPolicy{}, err
	}
	if err := p.Normalize(); err != nil {
		return AppliedPolicy{}, err
	}
	st, err := m.store()
	if err != nil {
		return AppliedPolicy{}, err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return AppliedPolicy{}, err
	}
	apply := m.applyPolicy
	if m.onRGW() {
		apply = m.rgwApplyPolicy
	}
	state, err := apply(ctx, st, svc, &p, forced)
	return AppliedPolicy{Policy: state, Forced: forced}, err
}

// applyPolicy applies the policy usage (or the forced state) calls for and
// records it, with the forced state. p is normalized.
func (m *Manager) applyPolicy(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product, forced domain.PolicyState) (domain.PolicyState, error) {
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return "", err
	}
	rec.State.Forced = forced
	var used int64
	if last, ok, err := st.Latest(ctx, svc.ID); err != nil {
		return "", err
	} else if ok {
		used = last.Bytes
	}
	ev := domain.Evaluate(p, svc.Username, used, rec.State)
	if err := m.writePolicy(ctx, svc.Username, p, ev.WantPolicy, true); err != nil {
		return "", err
	}
	ch := domain.AccountChange{Username: svc.Username, Policy: ev.WantPolicy, PolicySig: p.PolicySignature(ev.WantPolicy), Forced: &forced}
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, ch); err != nil {
		return "", err
	}
	if err := m.settlePublic(ctx, st, svc.ID, svc.Username, p, ev.WantPolicy, rec.Suspended); err != nil {
		return "", err
	}
	return ev.WantPolicy, nil
}

// settlePublic makes the account's anonymous access follow its policy and
// product: withheld at the limit, and under a product that does not let
// tenants publish (after a change of package); put back once the account
// is neither limited nor suspended, when the product lets tenants publish.
func (m *Manager) settlePublic(ctx context.Context, st Store, serviceID int64, user string, p *domain.Product, policy domain.PolicyState, suspended bool) error {
	switch {
	case policy == domain.PolicyLimited:
		return m.withholdPublic(ctx, st, serviceID, user, domain.WithheldLimited)
	case suspended:
	case !p.Allows(domain.PermPublic):
		return m.withholdPublic(ctx, st, serviceID, user, domain.WithheldProduct)
	default:
		return m.restorePublic(ctx, st, serviceID, user, p)
	}
	return nil
}

// writePolicy writes the standard or limited document into the user's own
// canned policy. Replacing the document in place is a single call, so the
// tenant never sees a moment with both or neither. attach makes sure the
// policy is attached (an encrypted call, skipped in bulk runs).
func (m *Manager) writePolicy(ctx context.Context, user string, p *domain.Product, state domain.PolicyState, attach bool) error {
	doc, err := p.PolicyDocument(state, user)
	if err != nil {
		return err
	}
	pol := domain.PolicyName(user)
	if err := m.Admin.AddCannedPolicy(ctx, pol, doc); err != nil {
		return err
	}
	if attach {
		return m.ensureAttached(ctx, user, pol)
	}
	return nil
}

// ensureAttached attaches pol to user unless it is attached already.
func (m *Manager) ensureAttached(ctx context.Context, user, pol string) error {
	info, err := m.Admin.UserInfo(ctx, user)
	if err != nil {
		return err
	}
	return m.attach(ctx, user, info, pol)
}

// attach adds pol to the policies info (a fresh read of the user) lists,
// keeping the others an admin may have added. It writes the whole mapping
// with the plain call (set-user-or-group-policy) rather than MinIO's
// attach route, whose answer MinIO encrypts with a 64 MiB Argon2id on
// every call; a change to the same user's mapping between the read and
// the write would be lost, and only an admin by hand makes one. MinIO
// briefly answers "no such user" while the same user's status is being
// changed (an admin's suspend in another request); when the user is there
// on a second look, the write is tried once more.
func (m *Manager) attach(ctx context.Context, user string, info domain.UserInfo, pol string) error {
	if slices.Contains(info.Policies, pol) {
		return nil
	}
	want := append(slices.Clone(info.Policies), pol)
	err := m.Admin.SetUserPolicies(ctx, user, want)
	if isNotFound(err) {
		if _, rerr := m.Admin.UserInfo(ctx, user); rerr == nil {
			err = m.Admin.SetUserPolicies(ctx, user, want)
		}
	}
	return err
}

// Terminate removes everything the account holds: its bucket policies,
// every object version and delete marker and upload in progress, the
// buckets, its access keys and STS credentials, its group memberships, the
// user and its policy. It locks the tenant out before anything else: the
// user is disabled first, so nothing is written while the buckets empty.
// Versions under retention or legal hold cannot be deleted before their
// term; terminate deletes everything else, leaves the user disabled and
// answers ERETENTION saying what stays and until when, so running it again
// after that date finishes the job. An account already gone is fine.
func (m *Manager) Terminate(ctx context.Context, svc domain.ServiceRef) (domain.Terminated, error) {
	out := domain.Terminated{Username: svc.Username}
	user := svc.Username
	if err := checkService(svc); err != nil {
		return out, err
	}
	st, err := m.store()
	if err != nil {
		return out, err
	}
	if err := m.checkTerminate(ctx, st, svc); err != nil {
		return out, err
	}
	if m.onRGW() {
		return m.rgwTerminate(ctx, st, svc)
	}
	info, err := m.Admin.UserInfo(ctx, user)
	exists := err == nil
	if err != nil && !isNotFound(err) {
		return out, err
	}
	if exists && info.Enabled {
		if err := m.Admin.SetUserStatus(ctx, user, false); err != nil {
			return out, err
		}
	}
	// STS credentials outlive the user and come back with a new user of
	// the same name unless they are revoked. Access keys go with the user
	// when it is removed (listing them is an answer MinIO encrypts with an
	// Argon2id); until then, retention may delay it, the disabled user's
	// keys are refused.
	if _, err := m.endCredentials(ctx, user, true); err != nil {
		return out, err
	}
	buckets, err := m.tenantBuckets(ctx, st, svc.ID, user)
	if err != nil {
		return out, err
	}
	var retained []string
	for _, b := range buckets {
		if err := m.S3.SetBucketPolicy(ctx, b.Name, ""); err != nil {
			return out, err
		}
		n, err := m.S3.Purge(ctx, b.Name)
		out.Objects += n
		switch {
		case domain.ErrorCode(err) == domain.ERETENTION:
			retained = append(retained, b.Name)
			continue
		case err != nil:
			return out, err
		}
		out.Buckets++
	}
	if len(retained) > 0 {
		return out, m.retentionReport(ctx, user, retained)
	}
	if exists {
		groups := slices.Clone(info.Groups)
		sort.Strings(groups)
		for _, g := range groups {
			if err := m.Admin.RemoveGroupMembers(ctx, g, user); err != nil && !isNotFound(err) {
				return out, err
			}
		}
		if err := m.Admin.RemoveUser(ctx, user); err != nil && !isNotFound(err) {
			return out, err
		}
	}
	if err := m.confirmPolicyGone(ctx, domain.PolicyName(user)); err != nil {
		return out, err
	}
	if err := m.confirmUserGone(ctx, user); err != nil {
		return out, err
	}
	if err := m.confirmBucketsGone(ctx, buckets); err != nil {
		return out, err
	}
	// A bucket the tenant made since the last measurement and listing is
	// not known here: the next server-wide listing removes it, and until
	// then no new account takes an overlapping name.
	if err := st.AddTerminatedName(ctx, m.ServerID, user, svc.ID, m.now()); err != nil {
		return out, err
	}
	if err := st.DeleteAccount(ctx, m.ServerID, svc.ID); err != nil {
		return out, err
	}
	m.log().Info("account terminated", "service", svc.ID, "user", user, "buckets", out.Buckets, "objects", out.Objects)
	return out, nil
}

// tenantBuckets returns the buckets of user for terminate and for an
// exact Recalculate. On a server
// whose last listing held at most FullListUpTo buckets (or that was never
// listed) it lists them: every bucket is removed at once, for tens of
// milliseconds. On a larger one, listing them costs more than the rest of
// terminate (half a second at 30,000), so it takes the buckets it knows of
// without asking the server for all of them: those of the last
// measurement, those a policy was kept for, those in user's namespace in
// the last listing, and the bucket named user, each asked about by name.
// A bucket the tenant made since is removed by the next listing
// (sweepTerminated), and until then the name stays taken.
func (m *Manager) tenantBuckets(ctx context.Context, st Store, serviceID int64, user string) ([]domain.Bucket, error) {
	l, listed, err := st.ServerNameList(ctx, m.ServerID)
	if err != nil {
		return nil, err
	}
	if !listed || l.Buckets <= m.fullListUpTo() {
		return m.S3.BucketsOf(ctx, user)
	}
	known, err := st.BucketUsage(ctx, m.ServerID, serviceID)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{user: true}
	for _, b := range known {
		names[b.Name] = true
	}
	kept, err := st.WithheldPolicies(ctx, m.ServerID, serviceID)
	if err != nil {
		return nil, err
	}
	for _, w := range kept {
		names[w.Bucket] = true
	}
	inListing, err := st.NameClashes(ctx, m.ServerID, serviceID, user, 100000)
	if err != nil {
		return nil, err
	}
	for _, c := range inListing {
		if c.Kind == domain.NameBucket && domain.OwnsBucket(user, c.Name) {
			names[c.Name] = true
		}
	}
	var out []domain.Bucket
	for name := range names {
		if !domain.OwnsBucket(user, name) {
			continue
		}
		ok, err := m.S3.BucketExists(ctx, name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, domain.Bucket{Name: name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// DefaultFullListUpTo is FullListUpTo when it is 0.
const DefaultFullListUpTo = 5000

func (m *Manager) fullListUpTo() int {
	if m.FullListUpTo == 0 {
		return DefaultFullListUpTo
	}
	return m.FullListUpTo
}

// checkTerminate refuses to terminate an account that is not svc's: the
// store recorded another user name for the service, or another service
// recorded this one. Then it marks the account as terminating, under the
// name lock, so that a usage run that starts switching policies after this
// leaves the account alone rather than re-create its policy.
func (m *Manager) checkTerminate(ctx context.Context, st Store, svc domain.ServiceRef) error {
	rec, found, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return err
	}
	if found && rec.Username != "" && rec.Username != svc.Username {
		return domain.Errorf(domain.ECONFLICT, "service %d's account is %s, but WHMCS names %s; nothing was deleted. Correct the username in WHMCS, then terminate again", svc.ID, rec.Username, svc.Username)
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return err
	}
	unlock, err := st.LockNames(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	terminating := true
	return st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Terminating: &terminating})
}

// retentionReport is terminate's answer when retention keeps data: which
// buckets and objects stay, and until when.
func (m *Manager) retentionReport(ctx context.Context, user string, buckets []string) error {
	locked, err := m.S3.FindLocked(ctx, buckets, m.now(), 5)
	if err != nil {
		return err
	}
	var b strings.Builder
	for i, l := range locked {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s/%s (%s)", l.Bucket, domain.Printable(l.Key), l.Reason)
	}
	return domain.Errorf(domain.ERETENTION, "the user %s is disabled and everything else was deleted, but retention or a legal hold keeps objects in %s: %s. Terminate again once the retention ends or the hold is lifted",
		user, strings.Join(buckets, ", "), b.String())
}

// confirmUserGone checks that the server no longer knows user, and removes
// it once more if it does. After the server was paused (SIGSTOP) while a
// removal waited in it, MinIO was seen to list the removed user again, with
// no policy: a reload of its user cache raced with the removal.
func (m *Manager) confirmUserGone(ctx context.Context, user string) error {
	for attempt := 0; ; attempt++ {
		_, err := m.Admin.UserInfo(ctx, user)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove user %s: MinIO still lists the user after removing it twice; retrying is safe", user)
		}
		if err := m.Admin.RemoveUser(ctx, user); err != nil && !isNotFound(err) {
			return err
		}
	}
}

// confirmPolicyGone removes the policy and checks that MinIO no longer
// has it, removing it once more if it does. After MinIO was stopped in
// the middle of removing a policy, a later removal answered "no such
// policy" while MinIO went on listing it.
func (m *Manager) confirmPolicyGone(ctx context.Context, pol string) error {
	for attempt := 0; ; attempt++ {
		if err := m.Admin.RemoveCannedPolicy(ctx, pol); err != nil && !isNotFound(err) {
			return err
		}
		_, err := m.Admin.PolicyDocument(ctx, pol)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove policy %s: MinIO still has the policy after removing it twice; retrying is safe", pol)
		}
	}
}

// confirmBucketsGone checks that none of the buckets terminate removed is
// there any more, and removes the ones that are once more. MinIO's scanner
// was seen to bring back a bucket it was scanning while terminate removed
// it: an empty bucket without metadata (no creation date) that a plain
// removal clears. The tenant, disabled, cannot have made another meanwhile,
// so asking about each by name is enough.
func (m *Manager) confirmBucketsGone(ctx context.Context, buckets []domain.Bucket) error {
	for attempt := 0; ; attempt++ {
		var left []string
		for _, b := range buckets {
			ok, err := m.S3.BucketExists(ctx, b.Name)
			if err != nil {
				return err
			}
			if ok {
				left = append(left, b.Name)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove bucket %s: MinIO still lists the bucket after removing it twice; retrying is safe", left[0])
		}
		for _, name := range left {
			if _, err := m.S3.Purge(ctx, name); err != nil {
				return err
			}
		}
	}
}
