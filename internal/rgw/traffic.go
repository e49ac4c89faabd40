package rgw

import (
	"context"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// TrafficHour is one bucket's traffic in one hour, as RGW's usage log
// keeps it: the counterpart, for RGW, of the hourly counters MinIO's
// metered requests (domain.TrafficRecord) are summed into, per service,
// hour and bucket. Ingress is the request bytes RGW received
// (bytes_received), Egress the response bytes it sent (bytes_sent, error
// bodies and listings included), Requests the operations, failed ones
// included; Headers stays 0 (RGW does not count them).
//
// RGW charges every request on a bucket to the bucket's owner, whoever
// sent it, refused requests included: another tenant's refused read and
// an anonymous caller's refused write count on the owner. (MinIO's
// attribution bills refused requests from outside to the requester or to
// nobody.)
type TrafficHour struct {
	// Key identifies the record: the same owner, bucket and hour give the
	// same key, so a store that keeps the keys it counted can take a
	// settled hour read twice (its trim failed) only once.
	Key   uint64
	Hour  time.Time // the hour's start, UTC
	Owner string    // the bucket owner's RGW uid
	// Account is the owner's account; the zero Account when the owner is
	// not one of this module's (then Service is domain.Unattributed).
	Account Account
	Bucket  string // "" for requests on no bucket (listing buckets)
	domain.Traffic
	Successful int64 // the requests that succeeded
}

// SettledBefore returns the end of the last hour whose usage log is final
// at now: hours that start before it will not grow.
func (g *Gateway) SettledBefore(now time.Time) time.Time {
	return now.Add(-g.settle).UTC().Truncate(time.Hour)
}

// ReadTraffic reads the usage log of every user for the hours that start
// in [from, to), in one call, and returns it per owner, bucket and hour.
// from may be zero (from the start of the log); both must fall on an hour.
// Read only settled hours (to at most SettledBefore(now)), and trim what
// was read once it is stored (TrimTraffic), so that the next read, from
// zero, gets only what came after.
func (g *Gateway) ReadTraffic(ctx context.Context, from, to time.Time) ([]TrafficHour, error) {
	if err := checkWindow(from, to); err != nil {
		return nil, err
	}
	u, err := g.admin.Usage(ctx, rgwadmin.UsageQuery{Start: from, End: to, SkipSummary: true})
	if err != nil {
		return nil, translate(err, "read the usage log")
	}
	out := make([]TrafficHour, 0, len(u.Entries))
	for _, e := range u.Entries {
		t := e.Total()
		h := TrafficHour{Key: trafficKey(e.Owner, e.Bucket, e.Hour), Hour: e.Hour, Owner: e.Owner, Bucket: e.Bucket,
			Traffic:    domain.Traffic{Ingress: int64(t.BytesReceived), Egress: int64(t.BytesSent), Requests: int64(t.Ops)},
			Successful: int64(t.SuccessfulOps)}
		if a, ok := g.naming.Of(e.Owner); ok {
			h.Account = a
		}
		out = append(out, h)
	}
	return out, nil
}

// TrimTraffic deletes every user's usage log entries for the hours that
// start in [from, to), in one call: what ReadTraffic read. Trimming what
// is gone is not an error.
func (g *Gateway) TrimTraffic(ctx context.Context, from, to time.Time) error {
	if err := checkWindow(from, to); err != nil {
		return err
	}
	err := g.admin.TrimUsage(ctx, rgwadmin.UsageTrim{Start: from, End: to, AllUsers: true})
	return translate(err, "trim the usage log")
}

// checkWindow refuses a window RGW would misread: its hours are whole, and
// an unbounded end would take in hours still being written.
func checkWindow(from, to time.Time) error {
	switch {
	case to.IsZero():
		return domain.Errorf(domain.EINVALID, "the traffic window needs an end")
	case !from.IsZero() && !from.Before(to):
		return domain.Errorf(domain.EINVALID, "the traffic window ends before it starts")
	case !from.Equal(from.Truncate(time.Hour)) || !to.Equal(to.Truncate(time.Hour)):
		return domain.Errorf(domain.EINVALID, "the traffic window must start and end on the hour")
	}
	return nil
}

// trafficKey hashes an owner, bucket and hour (FNV-1a, 64 bits).
func trafficKey(owner, bucket string, hour time.Time) uint64 {
	h := fnv.New64a()
	h.Write([]byte(owner))
	h.Write([]byte{0})
	h.Write([]byte(bucket))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(hour.Unix(), 10)))
	return h.Sum64()
}
