package rgw

import (
	"context"
	"sort"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// ServerUsage is the sizes of every account of a server, from one read.
type ServerUsage struct {
	// Accounts holds each account's buckets with their figures, sorted by
	// name. An account without buckets is absent.
	Accounts map[Account][]domain.Bucket
	// Foreign counts the buckets of users that are not accounts of this
	// module (the admin's, other tenants').
	Foreign int
}

// MeasureAll reads the sizes of every bucket of every tenant in one call
// (GET /admin/bucket?stats) and sorts them by account. The figures come
// from the bucket indexes: exact as of the last completed write, with no
// scanner lag. Bytes are the objects' sizes, the parts of uploads in
// progress included; Objects and Versions are both RGW's object count,
// which counts every version, delete markers and parts of uploads in
// progress too (RGW does not tell them apart).
func (g *Gateway) MeasureAll(ctx context.Context) (ServerUsage, error) {
	stats, err := g.admin.BucketStats(ctx, "")
	if err != nil {
		return ServerUsage{}, translate(err, "read the sizes of all buckets")
	}
	out := ServerUsage{Accounts: map[Account][]domain.Bucket{}}
	for _, b := range stats {
		a, ok := g.naming.Of(b.Owner)
		if !ok {
			out.Foreign++
			continue
		}
		out.Accounts[a] = append(out.Accounts[a], bucketOf(b))
	}
	for _, bs := range out.Accounts {
		sortBuckets(bs)
	}
	return out, nil
}

// Measure reads the sizes of one account's buckets (a Recalculate button):
// one call, whose cost grows with that account's buckets only.
func (g *Gateway) Measure(ctx context.Context, a Account) ([]domain.Bucket, error) {
	if err := g.naming.check(a); err != nil {
		return nil, err
	}
	uid := g.naming.UID(a)
	stats, err := g.admin.BucketStats(ctx, uid)
	if err != nil {
		return nil, translate(err, "read the sizes of the buckets of "+uid)
	}
	out := make([]domain.Bucket, 0, len(stats))
	for _, b := range stats {
		out = append(out, bucketOf(b))
	}
	sortBuckets(out)
	return out, nil
}

func bucketOf(b rgwadmin.BucketStats) domain.Bucket {
	return domain.Bucket{Name: b.Bucket, Created: b.Created, Bytes: int64(b.Size),
		Objects: int64(b.Objects), Versions: int64(b.Objects)}
}

func sortBuckets(bs []domain.Bucket) {
	sort.Slice(bs, func(i, j int) bool { return bs[i].Name < bs[j].Name })
}
