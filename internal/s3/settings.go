package s3

import (
	"context"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/lifecycle"

	"github.com/puqminios3/puqminio/internal/domain"
)

// CreateBucket makes a bucket a tenant asked for, with object lock when
// objectLock is set (it cannot be turned on later). Unlike MakeBucket, a
// bucket that exists already is refused (domain.ECONFLICT): with the admin
// credentials every bucket is "ours", so MinIO's answer cannot tell.
func (c *Client) CreateBucket(ctx context.Context, name string, objectLock bool) error {
	err := c.mc.MakeBucket(ctx, name, minio.MakeBucketOptions{ObjectLocking: objectLock})
	switch minio.ToErrorResponse(err).Code {
	case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return domain.Refusef(domain.ECONFLICT, domain.RefuseTaken, "create bucket %s: a bucket of that name exists", name)
	}
	return Translate(err, "create bucket "+name)
}

// BucketEmpty reports whether the bucket holds no object version and no
// delete marker. A bucket that is gone is empty.
func (c *Client) BucketEmpty(ctx context.Context, bucket string) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for o := range c.mc.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true, MaxKeys: 1}) {
		if o.Err != nil {
			if minio.ToErrorResponse(o.Err).Code == "NoSuchBucket" {
				return true, nil
			}
			return false, Translate(o.Err, "list objects of "+bucket)
		}
		return false, nil
	}
	return true, nil
}

// Versioning returns the bucket's versioning state: domain.VersioningOff
// (never enabled), VersioningEnabled or VersioningSuspended.
func (c *Client) Versioning(ctx context.Context, bucket string) (string, error) {
	v, err := c.mc.GetBucketVersioning(ctx, bucket)
	if err != nil {
		return "", Translate(err, "read the versioning of "+bucket)
	}
	switch v.Status {
	case domain.VersioningEnabled, domain.VersioningSuspended:
		return v.Status, nil
	}
	return domain.VersioningOff, nil
}

// SetVersioning enables the bucket's versioning, or suspends it: S3 cannot
// turn it off once enabled, and the versions kept stay.
func (c *Client) SetVersioning(ctx context.Context, bucket string, on bool) error {
	if on {
		return Translate(c.mc.EnableVersioning(ctx, bucket), "enable the versioning of "+bucket)
	}
	return Translate(c.mc.SuspendVersioning(ctx, bucket), "suspend the versioning of "+bucket)
}

// ObjectLock reports whether the bucket was made with object lock.
func (c *Client) ObjectLock(ctx context.Context, bucket string) (bool, error) {
	enabled, _, _, _, err := c.mc.GetObjectLockConfig(ctx, bucket)
	switch minio.ToErrorResponse(err).Code {
	case "":
	case "ObjectLockConfigurationNotFoundError", "NoSuchObjectLockConfiguration":
		return false, nil
	default:
		return false, Translate(err, "read the object lock of "+bucket)
	}
	return enabled == "Enabled", Translate(err, "read the object lock of "+bucket)
}

// The IDs of the lifecycle rules the client area writes; other rules (a
// tenant's, set with S3 tools) are kept as they are.
const (
	ruleExpire     = "puqminio-expire"
	ruleNoncurrent = "puqminio-noncurrent"
)

// Lifecycle returns the client area's expiry rules of the bucket and how
// many other rules it holds.
func (c *Client) Lifecycle(ctx context.Context, bucket string) (domain.Lifecycle, int, error) {
	cfg, err := c.lifecycle(ctx, bucket)
	if err != nil {
		return domain.Lifecycle{}, 0, err
	}
	var l domain.Lifecycle
	others := 0
	for _, r := range cfg.Rules {
		switch {
		case r.ID == ruleExpire && r.Status == "Enabled":
			l.ExpireDays = int(r.Expiration.Days)
		case r.ID == ruleNoncurrent && r.Status == "Enabled":
			l.NoncurrentDays = int(r.NoncurrentVersionExpiration.NoncurrentDays)
		case r.ID != ruleExpire && r.ID != ruleNoncurrent:
			others++
		}
	}
	return l, others, nil
}

func (c *Client) lifecycle(ctx context.Context, bucket string) (*lifecycle.Configuration, error) {
	cfg, err := c.mc.GetBucketLifecycle(ctx, bucket)
	if minio.ToErrorResponse(err).Code == "NoSuchLifecycleConfiguration" {
		return lifecycle.NewConfiguration(), nil
	}
	if err != nil {
		return nil, Translate(err, "read the lifecycle rules of "+bucket)
	}
	return cfg, nil
}

// SetLifecycle writes the client area's expiry rules of the bucket (a
// rule of 0 days is removed) and keeps every other rule.
func (c *Client) SetLifecycle(ctx context.Context, bucket string, l domain.Lifecycle) error {
	cfg, err := c.lifecycle(ctx, bucket)
	if err != nil {
		return err
	}
	rules := cfg.Rules[:0]
	for _, r := range cfg.Rules {
		if r.ID != ruleExpire && r.ID != ruleNoncurrent {
			rules = append(rules, r)
		}
	}
	if l.ExpireDays > 0 {
		rules = append(rules, lifecycle.Rule{ID: ruleExpire, Status: "Enabled",
			Expiration: lifecycle.Expiration{Days: lifecycle.ExpirationDays(l.ExpireDays)}})
	}
	if l.NoncurrentDays > 0 {
		rules = append(rules, lifecycle.Rule{ID: ruleNoncurrent, Status: "Enabled",
			NoncurrentVersionExpiration: lifecycle.NoncurrentVersionExpiration{NoncurrentDays: lifecycle.ExpirationDays(l.NoncurrentDays)}})
	}
	cfg.Rules = rules
	err = c.mc.SetBucketLifecycle(ctx, bucket, cfg)
	if r := minio.ToErrorResponse(err); r.Code == "InvalidArgument" || strings.Contains(r.Message, "lifecycle") && r.StatusCode == 400 {
		return domain.Refusef(domain.EINVALID, domain.RefuseInput, "write the lifecycle rules of %s: MinIO refused them: %s", bucket, domain.Printable(r.Message))
	}
	return Translate(err, "write the lifecycle rules of "+bucket)
}
