package rgwadmin

import (
	"context"
	"encoding/json"
	"errors"
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

// BucketNames returns the name of every bucket of the cluster, of all
// tenants: "tenant/bucket", or "bucket" outside any tenant. It reads no
// statistics, so it costs far less than BucketStats with no uid.
func (c *Client) BucketNames(ctx context.Context) ([]string, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "bucket", op: "list-buckets",
		resendable: true})
	if err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal(body, &names); err != nil {
		return nil, fmt.Errorf("rgwadmin: list-buckets: decode answer: %w", err)
	}
	return names, nil
}

// BucketMeta is what a bucket's instance metadata says of its S3
// settings.
type BucketMeta struct {
	// Policy is the bucket policy as its owner put it, "" for none. Admin
	// caps give no S3 access to a tenant's bucket, so this is the admin's
	// one way to read it, and it works while the owner is suspended.
	Policy string
	Flags  uint32 // RGW's bucket flags; see Versioned and ObjectLock
}

// RGW's bucket flags (rgw_common.h).
const (
	flagVersioned  = 0x2
	flagObjectLock = 0x20
)

// Versioned reports whether versioning is enabled on the bucket.
func (m BucketMeta) Versioned() bool { return m.Flags&flagVersioned != 0 }

// ObjectLock reports whether the bucket was made with object lock.
func (m BucketMeta) ObjectLock() bool { return m.Flags&flagObjectLock != 0 }

// BucketMetadata reads a bucket's instance metadata (GET
// /admin/metadata/bucket.instance, the metadata cap): tenant and name as
// BucketStats gives them, id its instance id (BucketStats.ID). A bucket
// or instance that does not exist answers CodeNoSuchKey.
func (c *Client) BucketMetadata(ctx context.Context, tenant, bucket, id string) (BucketMeta, error) {
	if bucket == "" || id == "" {
		return BucketMeta{}, errors.New("rgwadmin: bucket-metadata: bucket and instance id are required")
	}
	key := bucket + ":" + id
	if tenant != "" {
		key = tenant + "/" + key
	}
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "metadata/bucket.instance", op: "bucket-metadata",
		query: url.Values{"key": {key}}, resendable: true})
	if err != nil {
		return BucketMeta{}, err
	}
	var w struct {
		Data struct {
			BucketInfo struct {
				Flags uint32 `json:"flags"`
			} `json:"bucket_info"`
			Attrs []struct {
				Key string `json:"key"`
				Val []byte `json:"val"` // base64 in the JSON
			} `json:"attrs"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return BucketMeta{}, fmt.Errorf("rgwadmin: bucket-metadata: decode answer: %w", err)
	}
	m := BucketMeta{Flags: w.Data.BucketInfo.Flags}
	for _, a := range w.Data.Attrs {
		if a.Key == "user.rgw.iam-policy" {
			m.Policy = string(a.Val)
		}
	}
	return m, nil
}

// RemoveBucket removes a bucket and every object in it as the admin
// (DELETE /admin/bucket?purge-objects, the buckets=write cap): name is
// "tenant/bucket". It is how a bucket is removed whose owner is gone. A
// bucket that does not exist answers CodeNoSuchBucket.
func (c *Client) RemoveBucket(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("rgwadmin: remove-bucket: bucket is empty")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, resource: "bucket", op: "remove-bucket",
		query: url.Values{"bucket": {name}, "purge-objects": {"true"}}})
	return err
}
