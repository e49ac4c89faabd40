package rgw

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// What suspending does on RGW, measured on 16.2.15 (TestSuspend...):
// requests signed by a suspended user are refused (UserSuspended), and so
// are object reads of its buckets by anyone; but a bucket policy keeps
// working at the bucket level for the requests it allows: anonymous
// callers listed the bucket, wrote objects, deleted them, replaced the
// policy and turned on versioning of a suspended tenant's bucket. ACLs did
// not (a public-read-write bucket refused anonymous writes and lists once
// its owner was suspended). So Suspend takes the bucket policies off
// before it suspends, and Unsuspend puts them back.

// maxSuspendRounds bounds how often Suspend lifts the suspension again to
// withdraw a policy it finds after suspending.
const maxSuspendRounds = 3

// Suspend locks the tenant out: its bucket policies are taken off, then the
// user is suspended. keep, when not nil, is given each policy before it is
// taken off, so the caller can store it (a failing keep stops Suspend with
// the policy still in place); the policies taken off are also returned,
// with an error too.
//
// After suspending, Suspend reads every bucket's policy again from the
// admin side (bucket metadata, which needs no key of the tenant's): a
// policy the tenant put while Suspend was withdrawing, or one left on the
// buckets of a user suspended by other hands, is withdrawn by lifting the
// suspension for that time, at most maxSuspendRounds times.
func (g *Gateway) Suspend(ctx context.Context, a Account, keep func(domain.WithheldPolicy) error) ([]domain.WithheldPolicy, error) {
	if err := g.naming.check(a); err != nil {
		return nil, err
	}
	uid := g.naming.UID(a)
	var out []domain.WithheldPolicy
	for round := 1; ; round++ {
		u, err := g.user(ctx, a)
		if err != nil {
			return out, err
		}
		_, keyErr := tenantKey(u, a)
		if !u.Suspended {
			buckets, err := g.buckets(ctx, uid)
			if err != nil {
				return out, err
			}
			// Without a key of the user's, no policy can be removed: the
			// user is suspended all the same, and the error says what stays.
			if keyErr == nil {
				w, err := g.withdraw(ctx, a, u, buckets, domain.WithheldSuspended, keep)
				out = append(out, w...)
				if err != nil {
					return out, err
				}
			}
			if err := g.admin.Suspend(ctx, uid); err != nil {
				return out, translate(err, "suspend user "+uid)
			}
		}
		if strings.HasPrefix(u.DisplayName, provisioning) {
			// Suspended since it was made: from now on because WHMCS
			// asks, so Provision must not lift it.
			name := strings.TrimPrefix(u.DisplayName, provisioning)
			if _, err := g.admin.ModifyUser(ctx, uid, rgwadmin.UserChange{DisplayName: &name}); err != nil {
				return out, translate(err, "mark user "+uid+" suspended")
			}
		}
		buckets, err := g.buckets(ctx, uid)
		if err != nil {
			return out, err
		}
		left := withPolicy(buckets)
		switch {
		case len(left) == 0:
			return out, nil
		case keyErr != nil:
			return out, domain.Errorf(domain.ECONFLICT, "suspend user %s: the user is suspended, but it has no S3 key of its own to remove the policies of %s with, and anonymous access through them goes on; run Create again (which gives it its key), then Suspend again", uid, strings.Join(left, ", "))
		case round == maxSuspendRounds:
			return out, domain.Retryf(domain.EUNAVAILABLE, "suspend user %s: a bucket policy was put on %s again while it was being withdrawn, %d times; the user is suspended, but anonymous access through that policy may still work. Run Suspend again", uid, strings.Join(left, ", "), round)
		}
		if err := g.admin.Unsuspend(ctx, uid); err != nil {
			return out, translate(err, "lift the suspension of "+uid+" to withdraw its bucket policies")
		}
	}
}

// bucketMeta is one of a user's buckets with its metadata.
type bucketMeta struct {
	rgwadmin.BucketStats
	rgwadmin.BucketMeta
}

// buckets returns the user's buckets with their metadata, read from the
// admin side: one call for the list, one per bucket.
func (g *Gateway) buckets(ctx context.Context, uid string) ([]bucketMeta, error) {
	stats, err := g.admin.BucketStats(ctx, uid)
	if err != nil {
		return nil, translate(err, "list the buckets of "+uid)
	}
	out := make([]bucketMeta, 0, len(stats))
	for _, b := range stats {
		m, err := g.admin.BucketMetadata(ctx, b.Tenant, b.Bucket, b.ID)
		if isCode(err, rgwadmin.CodeNoSuchKey) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, translate(err, "read bucket "+b.Bucket+" of "+uid)
		}
		out = append(out, bucketMeta{b, m})
	}
	return out, nil
}

// withdraw takes the policy off each of buckets that has one, giving it to
// keep first (withheld for reason), and returns what it took off. The policy is removed with the
// tenant's key: the admin's gives no S3 access to it.
func (g *Gateway) withdraw(ctx context.Context, a Account, u rgwadmin.User, buckets []bucketMeta, reason string, keep func(domain.WithheldPolicy) error) ([]domain.WithheldPolicy, error) {
	var out []domain.WithheldPolicy
	for _, b := range buckets {
		if b.Policy == "" {
			continue
		}
		key, err := tenantKey(u, a)
		if err != nil {
			return out, err
		}
		w := domain.WithheldPolicy{Bucket: b.Bucket, Policy: b.Policy, Reason: reason, At: g.now()}
		if keep != nil {
			if err := keep(w); err != nil {
				return out, err
			}
		}
		// RGW answers 200 where S3 answers 204, which minio-go takes for
		// a failure: the call is sent by hand.
		_, err = g.s3Raw(ctx, key, http.MethodDelete, "/"+b.Bucket, url.Values{"policy": {""}}, nil)
		if err != nil && !isCode(err, rgwadmin.CodeNoSuchBucket) {
			return out, translate(err, "remove the policy of bucket "+b.Bucket)
		}
		out = append(out, w)
	}
	return out, nil
}

// withPolicy names the buckets that hold a policy.
func withPolicy(buckets []bucketMeta) []string {
	var out []string
	for _, b := range buckets {
		if b.Policy != "" {
			out = append(out, b.Bucket)
		}
	}
	return out
}

// Restored says what Unsuspend did with each policy it was given.
type Restored struct {
	Restored []string // buckets whose policy is back
	// Skipped are buckets whose policy was not put back: the bucket is
	// gone, holds a policy again, or RGW no longer takes the policy. The
	// caller can forget them all.
	Skipped []string
}

// Unsuspend lets the tenant in again and puts back the bucket policies
// Suspend took off (restore), on buckets that still exist and hold no
// policy. It refuses a user whose Provision did not finish (ECONFLICT):
// Provision opens it when its settings are in force. RGW drops the user's
// guards with the change: call SetGuards after.
func (g *Gateway) Unsuspend(ctx context.Context, a Account, restore []domain.WithheldPolicy) (Restored, error) {
	var out Restored
	if err := g.naming.check(a); err != nil {
		return out, err
	}
	uid := g.naming.UID(a)
	u, err := g.user(ctx, a)
	if err != nil {
		return out, err
	}
	if strings.HasPrefix(u.DisplayName, provisioning) {
		return out, domain.Errorf(domain.ECONFLICT, "unsuspend user %s: its creation did not finish; run Create again, which opens it", uid)
	}
	if u.Suspended {
		if err := g.admin.Unsuspend(ctx, uid); err != nil {
			return out, translate(err, "unsuspend user "+uid)
		}
	}
	return g.putBack(ctx, a, u, restore)
}

// RestorePolicies puts back bucket policies withheld from an account that
// is not suspended (after a change to a product with public), as Unsuspend
// does; a suspended user is refused (ECONFLICT): Unsuspend puts them back.
func (g *Gateway) RestorePolicies(ctx context.Context, a Account, restore []domain.WithheldPolicy) (Restored, error) {
	if err := g.naming.check(a); err != nil {
		return Restored{}, err
	}
	u, err := g.user(ctx, a)
	if err != nil {
		return Restored{}, err
	}
	if u.Suspended {
		return Restored{}, domain.Errorf(domain.ECONFLICT, "put back the bucket policies of %s: the user is suspended; unsuspending puts them back", u.UID)
	}
	return g.putBack(ctx, a, u, restore)
}

// putBack puts each of restore back on its bucket, with the tenant's key,
// where the bucket still exists and holds no policy.
func (g *Gateway) putBack(ctx context.Context, a Account, u rgwadmin.User, restore []domain.WithheldPolicy) (Restored, error) {
	var out Restored
	if len(restore) == 0 {
		return out, nil
	}
	buckets, err := g.buckets(ctx, u.UID)
	if err != nil {
		return out, err
	}
	byName := make(map[string]bucketMeta, len(buckets))
	for _, b := range buckets {
		byName[b.Bucket] = b
	}
	mc, err := g.tenantS3(u, a)
	if err != nil {
		return out, err
	}
	for _, w := range restore {
		if b, ok := byName[w.Bucket]; !ok || b.Policy != "" {
			out.Skipped = append(out.Skipped, w.Bucket)
			continue
		}
		err = mc.SetBucketPolicy(ctx, w.Bucket, w.Policy)
		switch {
		case isCode(err, codeMalformedPolicy), isCode(err, rgwadmin.CodeNoSuchBucket):
			out.Skipped = append(out.Skipped, w.Bucket)
		case err != nil:
			return out, translate(err, "put back the policy of bucket "+w.Bucket)
		default:
			out.Restored = append(out.Restored, w.Bucket)
		}
	}
	return out, nil
}
