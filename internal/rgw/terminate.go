package rgw

import (
	"context"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// Terminated is what Terminate removed.
type Terminated struct {
	domain.Terminated
	// LockedBuckets were made with object lock. RGW's purge removed their
	// objects whatever retention or legal hold they had: an admin removal
	// is not bound by it (seen on 16.2.15 with a COMPLIANCE retention of
	// a day and a legal hold, which refused the tenant's own deletes).
	LockedBuckets []string
	// Topics counts the tenant's notification topics removed.
	Topics int
}

// Terminate removes the account: the tenant is locked out first (its
// bucket policies taken off, the user suspended), then the user goes with
// its buckets and objects (RGW's purge-data). Terminate confirms that the
// user is gone and that no bucket of the tenant is left, removing any it
// finds (a bucket whose owner is gone) with the admin's bucket removal,
// and last removes the tenant's notification topics. An account already
// gone is fine: running it again confirms and cleans up.
func (g *Gateway) Terminate(ctx context.Context, a Account) (Terminated, error) {
	out := Terminated{Terminated: domain.Terminated{Username: a.User}}
	if err := g.naming.check(a); err != nil {
		return out, err
	}
	uid, tenant := g.naming.UID(a), g.naming.Tenant(a)
	u, err := g.admin.UserInfo(ctx, uid)
	exists := err == nil
	if err != nil && !isCode(err, rgwadmin.CodeNoSuchUser) {
		return out, translate(err, "read user "+uid)
	}
	if exists {
		buckets, err := g.buckets(ctx, uid)
		if err != nil {
			return out, err
		}
		for _, b := range buckets {
			out.Buckets++
			out.Objects += int64(b.Objects)
			if b.ObjectLock() {
				out.LockedBuckets = append(out.LockedBuckets, b.Bucket)
			}
		}
		if !u.Suspended {
			// Anonymous writes through a bucket policy reach a suspended
			// owner's buckets, and would race the purge. A user with no key
			// of its own cannot have its policies removed; the purge
			// removes them with the buckets.
			if _, err := tenantKey(u, a); err == nil {
				if _, err := g.withdraw(ctx, a, u, buckets, domain.WithheldSuspended, nil); err != nil {
					return out, err
				}
			}
			if err := g.admin.Suspend(ctx, uid); err != nil {
				return out, translate(err, "suspend user "+uid)
			}
		}
	}
	if exists {
		err := g.admin.RemoveUser(ctx, uid, rgwadmin.RemoveUserOptions{PurgeData: true})
		if err != nil && !isCode(err, rgwadmin.CodeNoSuchUser) {
			return out, translate(err, "remove user "+uid+" with its buckets")
		}
	}
	if err := g.confirmGone(ctx, uid, tenant); err != nil {
		return out, err
	}
	// After the buckets: a bucket's notifications hold a copy of their
	// topic, which DeleteTopic leaves until the bucket is gone (seen on
	// 16.2.15: ListTopics showed the topic twice).
	out.Topics, err = g.removeTopics(ctx, tenant)
	return out, err
}

// confirmGone checks that uid is gone and no bucket of tenant is left,
// and removes what it finds once more.
func (g *Gateway) confirmGone(ctx context.Context, uid, tenant string) error {
	for attempt := 0; ; attempt++ {
		_, err := g.admin.UserInfo(ctx, uid)
		userLeft := err == nil
		if err != nil && !isCode(err, rgwadmin.CodeNoSuchUser) {
			return translate(err, "confirm user "+uid+" is gone")
		}
		names, err := g.admin.BucketNames(ctx)
		if err != nil {
			return translate(err, "confirm the buckets of tenant "+tenant+" are gone")
		}
		var left []string
		for _, n := range names {
			if strings.HasPrefix(n, tenant+"/") {
				left = append(left, n)
			}
		}
		if !userLeft && len(left) == 0 {
			return nil
		}
		if attempt == 1 {
			return domain.Retryf(domain.EUNAVAILABLE, "remove user %s: the user (%t) or buckets %v are still there after removing them twice; retrying is safe", uid, userLeft, left)
		}
		if userLeft {
			if err := g.admin.RemoveUser(ctx, uid, rgwadmin.RemoveUserOptions{PurgeData: true}); err != nil && !isCode(err, rgwadmin.CodeNoSuchUser) {
				return translate(err, "remove user "+uid+" with its buckets")
			}
		}
		for _, n := range left {
			if err := g.admin.RemoveBucket(ctx, n); err != nil && !isCode(err, rgwadmin.CodeNoSuchBucket) {
				return translate(err, "remove bucket "+n)
			}
		}
	}
}
