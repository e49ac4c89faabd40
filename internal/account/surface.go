package account

import (
	"context"

	"github.com/puqminios3/puqminio/internal/domain"
)

// What a tenant can make beyond its user, and what the module does to it:
//
//   - bucket policies, MinIO's only route for anonymous access: tenants
//     cannot write them (a guard in their policy); the module takes them
//     off the buckets while the account is suspended or limited
//     (withholdPublic) and puts them back afterwards when the product lets
//     tenants publish (restorePublic);
//   - access keys and STS credentials: a disabled user's are refused, and
//     they follow the user's policy, so suspend and the limit reach them;
//     a password change ends them (endCredentials), terminate too;
//   - uploads in progress: counted by exact measurement, aborted by
//     terminate before a bucket goes;
//   - object lock: only where the product permits it; terminate locks the
//     tenant out first and reports what retention keeps.
//
// docs/security.md says what each action does to each of them.

// withholdPublic takes the bucket policies off user's buckets, so that no
// anonymous request reaches them, and keeps each in the store to be put
// back. Safe to run again: a bucket without a policy is skipped, and the
// policy kept first is not replaced.
func (m *Manager) withholdPublic(ctx context.Context, st Store, serviceID int64, user, reason string) error {
	buckets, err := m.policyCandidates(ctx, st, serviceID, user)
	if err != nil {
		return err
	}
	for _, b := range buckets {
		pol, err := m.S3.BucketPolicy(ctx, b.Name)
		if err != nil {
			return err
		}
		if pol == "" {
			continue
		}
		w := domain.WithheldPolicy{Bucket: b.Name, Policy: pol, Reason: reason, At: m.now()}
		if err := st.WithholdPolicy(ctx, m.ServerID, serviceID, w); err != nil {
			return err
		}
		if err := m.S3.SetBucketPolicy(ctx, b.Name, ""); err != nil {
			return err
		}
		m.log().Info("bucket policy withheld", "service", serviceID, "bucket", b.Name, "reason", reason)
	}
	return nil
}

// policyCandidates returns the buckets of user that may hold a bucket
// policy, without listing the server's buckets (half a second at 30,000):
// those of the last measurement and those a policy was kept for. A tenant
// cannot write a bucket policy (a guard in its own), so a bucket made
// since the last measurement holds none; only policies set before the
// guards existed, by the tenant, are on buckets the module may not know
// of, and every bucket of an account is known once it has been measured.
// For an account never measured (the first suspend after the upgrade,
// before a usage run), the server's buckets are listed once.
func (m *Manager) policyCandidates(ctx context.Context, st Store, serviceID int64, user string) ([]domain.Bucket, error) {
	rec, _, err := st.Account(ctx, m.ServerID, serviceID)
	if err != nil {
		return nil, err
	}
	if rec.CheckedAt.IsZero() {
		return m.S3.BucketsOf(ctx, user)
	}
	known, err := st.BucketUsage(ctx, m.ServerID, serviceID)
	if err != nil {
		return nil, err
	}
	kept, err := st.WithheldPolicies(ctx, m.ServerID, serviceID)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(known))
	var out []domain.Bucket
	for _, b := range known {
		seen[b.Name] = true
		out = append(out, b)
	}
	for _, w := range kept {
		if !seen[w.Bucket] {
			seen[w.Bucket] = true
			out = append(out, domain.Bucket{Name: w.Bucket})
		}
	}
	return out, nil
}

// restorePublic puts the kept bucket policies back, when the product lets
// tenants publish; the caller knows the account is neither suspended nor
// limited. A bucket that holds a policy again keeps it, and a bucket that
// is gone is forgotten.
func (m *Manager) restorePublic(ctx context.Context, st Store, serviceID int64, user string, p *domain.Product) error {
	if !p.Allows(domain.PermPublic) {
		return nil
	}
	kept, err := st.WithheldPolicies(ctx, m.ServerID, serviceID)
	if err != nil || len(kept) == 0 {
		return err
	}
	for _, w := range kept {
		exists, err := m.S3.BucketExists(ctx, w.Bucket)
		if err != nil {
			return err
		}
		if exists && domain.OwnsBucket(user, w.Bucket) {
			cur, err := m.S3.BucketPolicy(ctx, w.Bucket)
			if err != nil {
				return err
			}
			if cur == "" {
				if err := m.S3.SetBucketPolicy(ctx, w.Bucket, w.Policy); err != nil {
					return err
				}
				m.log().Info("bucket policy restored", "service", serviceID, "bucket", w.Bucket)
			}
		}
		if err := st.ReleaseWithheld(ctx, m.ServerID, serviceID, w.Bucket); err != nil {
			return err
		}
	}
	return nil
}

// endCredentials ends what user made to reach its buckets besides its own
// key: its STS credentials always, its access keys unless keepKeys. It
// returns how many access keys it deleted. A server without token
// revocation (older than 2025) is noted in the log: disabling or removing
// the user still refuses those credentials.
func (m *Manager) endCredentials(ctx context.Context, user string, keepKeys bool) (int, error) {
	if err := m.Admin.RevokeTokens(ctx, user); err != nil {
		if domain.ErrorCode(err) != domain.EUNSUPPORTED {
			return 0, err
		}
		m.log().Warn("temporary credentials not revoked: the server cannot", "user", user)
	}
	if keepKeys {
		return 0, nil
	}
	keys, err := m.Admin.ListServiceAccounts(ctx, user)
	if err != nil {
		if isNotFound(err) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if err := m.Admin.DeleteServiceAccount(ctx, k.AccessKey); err != nil && !isNotFound(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

// checkGroup refuses a product group whose policies would give every
// tenant in it more than its own buckets: an admin's group with
// consoleAdmin attached would otherwise make each tenant an admin. The
// group's policies are read once per create or package change.
func (m *Manager) checkGroup(ctx context.Context, p *domain.Product) error {
	if p.Group == "" {
		return nil
	}
	names, err := m.Admin.GroupPolicies(ctx, p.Group)
	if err != nil {
		return err
	}
	check := domain.GroupCheck{Group: p.Group, Policies: names, CheckedAt: m.now()}
	var refusal error
	for _, name := range names {
		doc, err := m.Admin.PolicyDocument(ctx, name)
		if err != nil {
			return err
		}
		if err := domain.CheckGroupPolicy(name, doc, p.AllowForeignResources); err != nil {
			refusal = domain.Errorf(domain.EINVALIDPOL, "product.group %s cannot be used: %s", p.Group, domain.ErrorMessage(err))
			check.Problem = domain.ErrorMessage(refusal)
			break
		}
	}
	// The admin tab shows the last check; a store that cannot record it
	// does not change the answer.
	if st, err := m.store(); err == nil {
		if err := st.SaveGroupCheck(ctx, m.ServerID, check); err != nil {
			m.log().Warn("group check not recorded", "group", p.Group, "err", err)
		}
	}
	return refusal
}
