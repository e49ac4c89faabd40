package rgw

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// ProvisionReq is what an account is made with.
type ProvisionReq struct {
	// Secret is the secret WHMCS holds for the user ("" if none). A user
	// that exists with this secret keeps it, so its S3 clients go on
	// working.
	Secret string
	// NewSecret is the secret a new user gets, and an existing one that
	// does not hold Secret. "" means Secret.
	NewSecret string
	// QuotaBytes is the hard limit on the bytes of all the user's buckets;
	// 0 is no limit.
	QuotaBytes int64
	// MaxBuckets is how many buckets the user may have; 0 is no limit.
	MaxBuckets int
	// DefaultBucket is made with the tenant's own key; "" makes none.
	DefaultBucket string
	// DisplayName is shown in RGW's listings; "" means the user name.
	DisplayName string
	// Allowed is what the product permits the tenant beyond objects; the
	// user's guard policy denies the rest (SetGuards).
	Allowed Allowed
}

// String hides the secrets, so a logged request cannot leak them.
func (r ProvisionReq) String() string {
	return fmt.Sprintf("rgw.ProvisionReq{Secret:[REDACTED] NewSecret:[REDACTED] QuotaBytes:%d MaxBuckets:%d DefaultBucket:%q DisplayName:%q Allowed:%+v}",
		r.QuotaBytes, r.MaxBuckets, r.DefaultBucket, r.DisplayName, r.Allowed)
}

// GoString hides the secrets from %#v as well.
func (r ProvisionReq) GoString() string { return r.String() }

// Provisioned is what Provision did.
type Provisioned struct {
	// Secret is the user's secret now: Secret when it was kept, NewSecret
	// otherwise. WHMCS stores it.
	Secret string
	// Created says the user was made by this call, or by an earlier one
	// that did not finish.
	Created bool
	// Bucket is the default bucket, "" when none was asked for.
	Bucket string
}

// String hides the secret, so a logged result cannot leak it.
func (p Provisioned) String() string {
	return fmt.Sprintf("rgw.Provisioned{Secret:[REDACTED] Created:%t Bucket:%q}", p.Created, p.Bucket)
}

// GoString hides the secret from %#v as well.
func (p Provisioned) GoString() string { return p.String() }

// provisioning starts the display name of a user that Provision has made
// but not finished: it was created suspended and is lifted only when its
// quota is in force. Suspend removes it, so that a later Provision does not
// lift a suspension WHMCS asked for.
const provisioning = "puqminio provisioning: "

// Provision makes the account, or finishes or repairs it: the user with
// the S3 key named after the WHMCS user, the hard user quota, the bucket
// limit, the guard policy, and the default bucket, made with the tenant's
// own key.
//
// A new user is created suspended and opened only when its settings are in
// force, in one call that also clears the provisioning mark from its
// display name; so a Provision cut short leaves a user nobody can use, and
// the next one finishes it. A user WHMCS suspended stays suspended: its
// default bucket, if missing, cannot be made with its refused key, and
// Provision says so (ECONFLICT) after doing the rest.
//
// The access key is global on the gateway: when another user holds it,
// Provision changes nothing and answers ECONFLICT naming that user. (RGW,
// given a uid it does not know and a key another user holds, would act on
// that other user; the calls used here never send a key with a uid that
// has not been read first.)
func (g *Gateway) Provision(ctx context.Context, a Account, req ProvisionReq) (Provisioned, error) {
	if err := g.naming.check(a); err != nil {
		return Provisioned{}, err
	}
	if req.NewSecret == "" {
		req.NewSecret = req.Secret
	}
	if err := domain.ValidatePassword(req.NewSecret); err != nil {
		return Provisioned{}, domain.Field("the new secret", err)
	}
	if req.QuotaBytes < 0 || req.MaxBuckets < 0 {
		return Provisioned{}, domain.Errorf(domain.EINVALID, "the quota and the bucket limit must not be negative")
	}
	if req.DefaultBucket != "" {
		if err := s3utils.CheckValidBucketNameStrict(req.DefaultBucket); err != nil {
			return Provisioned{}, domain.Errorf(domain.EINVALIDNAME, "default bucket %q: %s", domain.Printable(req.DefaultBucket), domain.Printable(err.Error()))
		}
	}
	name := req.DisplayName
	if name == "" {
		name = a.User
	}
	uid := g.naming.UID(a)
	out := Provisioned{Bucket: req.DefaultBucket}

	u, err := g.admin.UserInfo(ctx, uid)
	if isCode(err, rgwadmin.CodeNoSuchUser) {
		u, err = g.admin.CreateUser(ctx, rgwadmin.CreateUserReq{UID: uid, DisplayName: provisioning + name,
			AccessKey: a.User, SecretKey: req.NewSecret, MaxBuckets: req.MaxBuckets, Suspended: true})
		switch {
		case isCode(err, rgwadmin.CodeKeyExists):
			return Provisioned{}, g.keyConflict(ctx, a, err)
		case isCode(err, rgwadmin.CodeUserAlreadyExists):
			// A create whose answer was lost, or a Provision running
			// beside this one: carry on with the user as it is.
			u, err = g.admin.UserInfo(ctx, uid)
		}
	}
	if err != nil {
		return Provisioned{}, translate(err, "create user "+uid)
	}
	unfinished := strings.HasPrefix(u.DisplayName, provisioning)
	out.Created = unfinished

	var rekeyed bool
	if out.Secret, rekeyed, err = g.ensureKey(ctx, a, u, req); err != nil {
		return Provisioned{}, err
	}
	if u.UserQuota != userQuota(req.QuotaBytes) {
		if err := g.setQuota(ctx, uid, req.QuotaBytes); err != nil {
			return Provisioned{}, err
		}
	}
	if u.MaxBuckets != req.MaxBuckets {
		if _, err := g.admin.ModifyUser(ctx, uid, rgwadmin.UserChange{MaxBuckets: &req.MaxBuckets}); err != nil {
			return Provisioned{}, translate(err, "set the bucket limit of "+uid)
		}
	}
	if unfinished {
		open := false
		if u, err = g.admin.ModifyUser(ctx, uid, rgwadmin.UserChange{DisplayName: &name, Suspended: &open}); err != nil {
			return Provisioned{}, translate(err, "open user "+uid)
		}
	} else if rekeyed {
		if u, err = g.admin.UserInfo(ctx, uid); err != nil {
			return Provisioned{}, translate(err, "read user "+uid)
		}
	}
	// Every time, after the last change of the user, which drops them
	// (see guards.go); a new user's key is not handed out before Provision
	// returns, so nobody uses it without its guards.
	if err := g.setGuards(ctx, uid, req.Allowed); err != nil {
		return Provisioned{}, err
	}
	if req.DefaultBucket != "" {
		if err := g.ensureBucket(ctx, a, u, req.DefaultBucket); err != nil {
			return Provisioned{}, err
		}
	}
	return out, nil
}

// userQuota is the user quota for a limit of quotaBytes (0: none). It is
// always enabled, "no limit" being a size of -1, so that RGW's quota check
// counts the user's writes from its first byte (it keeps no count for a
// user whose quota is disabled, and starts from the stored usage, which
// RGW does not keep up to date for such a user): lowered from -1 to 1 MiB
// on 1.2 MB stored, it refused the next PUT (TestSetQuota).
func userQuota(quotaBytes int64) rgwadmin.Quota {
	q := rgwadmin.Quota{Enabled: true, MaxSize: rgwadmin.NoLimit, MaxObjects: rgwadmin.NoLimit}
	if quotaBytes > 0 {
		q.MaxSize = quotaBytes
	}
	return q
}

// ensureKey gives the user its S3 key and returns the secret in force
// and whether it changed anything: the key named after the WHMCS user
// keeps Secret when it holds it (or NewSecret, for a user just made), and
// gets NewSecret otherwise.
func (g *Gateway) ensureKey(ctx context.Context, a Account, u rgwadmin.User, req ProvisionReq) (string, bool, error) {
	for _, k := range u.Keys {
		if k.AccessKey != a.User || k.User != u.UID {
			continue
		}
		for _, s := range []string{req.Secret, req.NewSecret} {
			if s != "" && subtle.ConstantTimeCompare([]byte(k.SecretKey), []byte(s)) == 1 {
				return s, false, nil
			}
		}
	}
	err := g.admin.PutKey(ctx, u.UID, a.User, req.NewSecret)
	if isCode(err, rgwadmin.CodeKeyExists) {
		return "", false, g.keyConflict(ctx, a, err)
	}
	return req.NewSecret, true, translate(err, "set the key of "+u.UID)
}

// keyConflict says who holds the account's access key.
func (g *Gateway) keyConflict(ctx context.Context, a Account, cause error) error {
	holder := "another user"
	if other, err := g.admin.UserByAccessKey(ctx, a.User); err == nil {
		holder = "user " + other.UID
		if o, ok := g.naming.Of(other.UID); ok {
			holder += " (service " + itoa(o.Service) + ")"
		}
	}
	return domain.Errorf(domain.ECONFLICT, "access key %s is held by %s of the gateway; nothing was changed. Remove that user or key, or give this service another username", a.User, holder).WithCause(cause)
}

// ensureBucket makes the bucket with the tenant's own key unless the user
// has it already.
func (g *Gateway) ensureBucket(ctx context.Context, a Account, u rgwadmin.User, bucket string) error {
	doing := "create bucket " + bucket + " of " + u.UID
	stats, err := g.admin.BucketStats(ctx, u.UID)
	if err != nil {
		return translate(err, doing)
	}
	for _, b := range stats {
		if b.Bucket == bucket {
			return nil
		}
	}
	if u.Suspended {
		return domain.Errorf(domain.ECONFLICT, "%s: the user is suspended, so the bucket cannot be made with its own key; everything else is done. Unsuspend, then run Create again", doing)
	}
	mc, err := g.tenantS3(u, a)
	if err != nil {
		return err
	}
	err = mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{})
	if isCode(err, "BucketAlreadyOwnedByYou") || isCode(err, rgwadmin.CodeBucketAlreadyExists) {
		// The tenant's namespace is its own: only its user can hold it.
		return nil
	}
	return translate(err, doing)
}
