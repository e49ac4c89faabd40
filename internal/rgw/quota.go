package rgw

import (
	"context"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// SetQuota sets the hard limit on the bytes of all the account's buckets
// (0: no limit), as a package change does. RGW refuses a write that would
// pass it with 403 QuotaExceeded, from the next request on, whether the
// limit went up or down; the parts of uploads in progress count. RGW drops
// the user's guards with the change: call SetGuards after.
func (g *Gateway) SetQuota(ctx context.Context, a Account, quotaBytes int64) error {
	if err := g.naming.check(a); err != nil {
		return err
	}
	if quotaBytes < 0 {
		return domain.Errorf(domain.EINVALID, "the quota must not be negative")
	}
	return g.setQuota(ctx, g.naming.UID(a), quotaBytes)
}

// setQuota brings the usage stored with the user up to date, then sets
// its quota (userQuota). RGW's quota check starts from that stored usage
// when it first checks a user, and keeps its own count from there for up
// to "rgw bucket quota ttl" (600 s by default): a quota enabled on a user
// whose stored usage was stale (it never had a quota) was not enforced,
// one enabled after a sync was (TestQuotaEnabledLaterNeedsSyncedStats).
func (g *Gateway) setQuota(ctx context.Context, uid string, quotaBytes int64) error {
	if _, err := g.admin.UserStatsSync(ctx, uid); err != nil {
		return translate(err, "sync the usage of "+uid)
	}
	return translate(g.admin.SetUserQuota(ctx, uid, userQuota(quotaBytes)), "set the quota of "+uid)
}

// SetMaxBuckets sets how many buckets the account may have (0: no limit).
// Buckets it has beyond a lowered limit stay; it cannot make more. RGW
// drops the user's guards with the change: call SetGuards after.
func (g *Gateway) SetMaxBuckets(ctx context.Context, a Account, maxBuckets int) error {
	if err := g.naming.check(a); err != nil {
		return err
	}
	if maxBuckets < 0 {
		return domain.Errorf(domain.EINVALID, "the bucket limit must not be negative")
	}
	uid := g.naming.UID(a)
	_, err := g.admin.ModifyUser(ctx, uid, rgwadmin.UserChange{MaxBuckets: &maxBuckets})
	return translate(err, "set the bucket limit of "+uid)
}
