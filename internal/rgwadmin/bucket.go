package rgwadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// BucketStats is one bucket's owner and size, from its bucket index: exact
// as of the last completed write, no scanner lag.
type BucketStats struct {
	Bucket  string // the name as its owner uses it over S3
	Tenant  string // "" outside any tenant; others reach the bucket as "tenant:bucket"
	Owner   string // the owner's uid, "tenant$user"
	ID      string // RGW's bucket instance id
	Created time.Time
	Size    uint64 // bytes of the objects in it (RGW's usage."rgw.main".size)
	Objects uint64 // usage."rgw.main".num_objects
	Quota   Quota  // the bucket's own quota
}

type bucketWire struct {
	Bucket  string    `json:"bucket"`
	Tenant  string    `json:"tenant"`
	Owner   string    `json:"owner"`
	ID      string    `json:"id"`
	Created time.Time `json:"creation_time"`
	Usage   map[string]struct {
		Size       uint64 `json:"size"`
		NumObjects uint64 `json:"num_objects"`
	} `json:"usage"`
	Quota quotaWire `json:"bucket_quota"`
}

// BucketStats returns every bucket of the user uid, or every bucket of the
// cluster, of all tenants, when uid is "": one call, whose cost on the
// gateway grows with the number of buckets (it reads each bucket's index
// shards). A uid that does not exist has no buckets: RGW answers an empty
// list, not an error.
func (c *Client) BucketStats(ctx context.Context, uid string) ([]BucketStats, error) {
	q := url.Values{"stats": {"true"}}
	if uid != "" {
		q.Set("uid", uid)
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "bucket", op: "bucket-stats",
		query: q, resendable: true})
	if err != nil {
		return nil, err
	}
	var ws []bucketWire
	if err := json.Unmarshal(body, &ws); err != nil {
		return nil, fmt.Errorf("rgwadmin: bucket-stats: decode answer: %w", err)
	}
	out := make([]BucketStats, len(ws))
	for i, w := range ws {
		// An empty bucket has no categories at all.
		main := w.Usage["rgw.main"]
		out[i] = BucketStats{Bucket: w.Bucket, Tenant: w.Tenant, Owner: w.Owner, ID: w.ID,
			Created: w.Created, Size: main.Size, Objects: main.NumObjects, Quota: w.Quota.quota()}
	}
	return out, nil
}
