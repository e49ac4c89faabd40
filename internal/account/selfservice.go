package account

import (
	"context"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Self-service (issue 13): what a tenant makes in the client area, carried
// out with the server's admin credentials after the rules here and in
// internal/domain allow it. The tenant's own policy denies it some of the
// same calls (bucket policies, object lock, keys made with S3 tools): the
// module makes them for it, within the product's permissions and limits,
// and suspend, the limit, a password change and terminate govern what it
// made (docs/security.md).

// Initiator is who asks for a self-service action: the client, from the
// client area (rate limited, refused while the service is suspended), or
// an admin, from the admin tab.
type Initiator string

// Initiators.
const (
	ByClient Initiator = "client"
	ByAdmin  Initiator = "admin"
)

// A client's self-service changes per service: SelfRate within SelfRatePer.
const (
	SelfRate    = 30
	SelfRatePer = 10 * time.Minute
)

// selfGate is what a self-service action lets through.
type selfGate struct {
	write bool // the action changes something: rate limited for clients
	// whileSuspended lets a client act while the service is suspended
	// (revoking a key only takes access away).
	whileSuspended bool
}

// selfStart runs the checks every self-service action shares, after the
// action checked its input: the account is this service's and not being
// terminated, a client's service is not suspended, and a client's change
// is within the rate limit. It returns the store and the account's record.
func (m *Manager) selfStart(ctx context.Context, svc domain.ServiceRef, who Initiator, g selfGate) (Store, domain.Account, error) {
	if err := m.selfSupported(); err != nil {
		return nil, domain.Account{}, err
	}
	st, err := m.store()
	if err != nil {
		return nil, domain.Account{}, err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return nil, domain.Account{}, err
	}
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return nil, rec, err
	}
	if rec.Terminating {
		return nil, rec, domain.Refusef(domain.ENOTALLOWED, domain.RefuseSuspended, "the account %s is being terminated", svc.Username)
	}
	if who == ByClient && !g.whileSuspended && (rec.Suspended || inactive(svc.Status)) {
		return nil, rec, domain.Refusef(domain.ENOTALLOWED, domain.RefuseSuspended, "the service is suspended; its buckets and keys cannot be changed until it is unsuspended")
	}
	if who == ByClient && g.write {
		ok, next, err := st.RateLimit(ctx, svc.ID, "self", SelfRate, SelfRatePer)
		if err != nil {
			return nil, rec, err
		}
		if !ok {
			return nil, rec, domain.Refusef(domain.ELIMIT, domain.RefuseRate, "more than %d changes in %d minutes; try again after %s UTC",
				SelfRate, int(SelfRatePer.Minutes()), next.UTC().Format("15:04"))
		}
	}
	return st, rec, nil
}

// selfSupported refuses self-service on a Ceph RGW server: the actions
// here speak MinIO's admin API (issue 15 covers RGW).
func (m *Manager) selfSupported() error {
	if m.onRGW() {
		return domain.Refusef(domain.EUNSUPPORTED, domain.RefuseNotPermitted, "the client area's buckets, keys and bucket settings are not available on a Ceph RGW server yet")
	}
	return nil
}

// inactive reports whether WHMCS's status of a service says its client
// may not change it.
func inactive(status string) bool {
	switch status {
	case "Suspended", "Terminated", "Cancelled", "Fraud":
		return true
	}
	return false
}

// selfInput checks what every self-service action about an existing
// account needs of its envelope: a user name and a valid product.
func selfInput(svc domain.ServiceRef, p *domain.Product) error {
	if err := checkService(svc); err != nil {
		return err
	}
	return p.Normalize()
}

// limited reports whether the account holds its limit policy.
func limited(rec domain.Account) bool { return rec.State.Policy == domain.PolicyLimited }

// ownBucket answers not_found unless the bucket, which lies in the
// tenant's namespace, exists.
func (m *Manager) ownBucket(ctx context.Context, bucket string) error {
	ok, err := m.S3.BucketExists(ctx, bucket)
	if err != nil || ok {
		return err
	}
	return domain.Refusef(domain.ENOTFOUND, domain.RefuseNotFound, "params.bucket %s does not exist", bucket)
}

// lockForMaking holds the name lock while a bucket or key is made, and
// refuses when terminate has begun meanwhile: terminate marks the account
// under the same lock, so nothing is made behind its back that it would
// not remove.
func (m *Manager) lockForMaking(ctx context.Context, st Store, svc domain.ServiceRef) (func(), error) {
	unlock, err := st.LockNames(ctx)
	if err != nil {
		return nil, err
	}
	rec, found, err := st.Account(ctx, m.ServerID, svc.ID)
	if err == nil && found && rec.Terminating {
		err = domain.Refusef(domain.ENOTALLOWED, domain.RefuseSuspended, "the account %s is being terminated", svc.Username)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// NewBucket is a bucket the client area asks for: Name is the part after
// the tenant's prefix.
type NewBucket struct {
	Name       string `json:"name"`
	ObjectLock bool   `json:"objectLock"`
}

// BucketMade answers CreateBucket.
type BucketMade struct {
	Bucket     string `json:"bucket"`
	ObjectLock bool   `json:"objectLock"`
}

// CreateBucket makes the bucket "<user>-<name>" for the tenant, with
// object lock where the product permits it, within the product's maximum
// of buckets. It is refused while the account is at its disk limit (the
// limit policy lets the tenant make none either).
func (m *Manager) CreateBucket(ctx context.Context, svc domain.ServiceRef, p domain.Product, req NewBucket, who Initiator) (BucketMade, error) {
	if err := selfInput(svc, &p); err != nil {
		return BucketMade{}, err
	}
	name, err := domain.SelfBucketName(svc.Username, req.Name)
	if err != nil {
		return BucketMade{}, err
	}
	if req.ObjectLock && !p.Allows(domain.PermObjectLock) {
		return BucketMade{}, domain.Refusef(domain.ENOTALLOWED, domain.RefuseNotPermitted, "params.objectLock: the product does not permit object lock")
	}
	max := p.SelfLimits().Buckets
	if max == 0 {
		return BucketMade{}, domain.Refusef(domain.ELIMIT, domain.RefuseMaxBuckets, "the product lets clients make no buckets in the client area")
	}
	st, rec, err := m.selfStart(ctx, svc, who, selfGate{write: true})
	if err != nil {
		return BucketMade{}, err
	}
	if limited(rec) {
		return BucketMade{}, domain.Refusef(domain.ELIMIT, domain.RefuseFull, "the account is at its disk limit; free space before making buckets")
	}
	unlock, err := m.lockForMaking(ctx, st, svc)
	if err != nil {
		return BucketMade{}, err
	}
	defer unlock()
	have, err := st.BucketUsage(ctx, m.ServerID, svc.ID)
	if err != nil {
		return BucketMade{}, err
	}
	if len(have) >= max {
		return BucketMade{}, domain.Refusef(domain.ELIMIT, domain.RefuseMaxBuckets, "the account holds %d buckets, the most its product allows (%d)", len(have), max)
	}
	if err := m.S3.CreateBucket(ctx, name, req.ObjectLock); err != nil {
		return BucketMade{}, err
	}
	if err := st.AddBucket(ctx, m.ServerID, svc.ID, name); err != nil {
		return BucketMade{}, err
	}
	m.log().Info("bucket created", "service", svc.ID, "bucket", name, "objectLock", req.ObjectLock, "by", who)
	return BucketMade{Bucket: name, ObjectLock: req.ObjectLock}, nil
}

// BucketDeleted answers DeleteBucket: how many object versions went with
// the bucket; Removed is false when the bucket was gone already.
type BucketDeleted struct {
	Bucket  string `json:"bucket"`
	Removed bool   `json:"removed"`
	Objects int64  `json:"objects"`
}

// DeleteBucket removes one of the tenant's buckets. An empty bucket goes at
// once; one that holds objects only when confirm repeats its name, and then
// its uploads in progress, object versions and delete markers go with it.
// A bucket whose objects are under retention or a legal hold is refused
// before anything is deleted. A bucket already gone is fine.
func (m *Manager) DeleteBucket(ctx context.Context, svc domain.ServiceRef, p domain.Product, bucket, confirm string, who Initiator) (BucketDeleted, error) {
	out := BucketDeleted{Bucket: bucket}
	if err := selfInput(svc, &p); err != nil {
		return out, err
	}
	if err := domain.CheckOwnBucket("params.bucket", svc.Username, bucket); err != nil {
		return out, err
	}
	st, _, err := m.selfStart(ctx, svc, who, selfGate{write: true})
	if err != nil {
		return out, err
	}
	exists, err := m.S3.BucketExists(ctx, bucket)
	if err != nil {
		return out, err
	}
	if !exists {
		return out, st.RemoveBucket(ctx, m.ServerID, svc.ID, bucket)
	}
	empty, err := m.S3.BucketEmpty(ctx, bucket)
	if err != nil {
		return out, err
	}
	if !empty && confirm != bucket {
		return out, domain.Refusef(domain.ENOTEMPTY, domain.RefuseNotEmpty, "bucket %s holds objects; params.confirm must repeat its name to delete them with it", bucket)
	}
	locked, err := m.S3.FindLocked(ctx, []string{bucket}, m.now(), 1)
	if err != nil {
		return out, err
	}
	if len(locked) > 0 {
		return out, domain.Refusef(domain.ERETENTION, domain.RefuseRetention, "bucket %s holds objects under %s (%s); nothing was deleted", bucket, locked[0].Reason, domain.Printable(locked[0].Key))
	}
	if err := m.S3.SetBucketPolicy(ctx, bucket, ""); err != nil {
		return out, err
	}
	if out.Objects, err = m.S3.Purge(ctx, bucket); err != nil {
		return out, err
	}
	out.Removed = true
	if err := st.RemoveBucket(ctx, m.ServerID, svc.ID, bucket); err != nil {
		return out, err
	}
	m.log().Info("bucket deleted", "service", svc.ID, "bucket", bucket, "objects", out.Objects, "by", who)
	return out, nil
}

// SetVersioning turns the bucket's versioning on, or suspends it (S3
// keeps the versions made). A bucket with object lock keeps it on.
func (m *Manager) SetVersioning(ctx context.Context, svc domain.ServiceRef, p domain.Product, bucket string, on bool, who Initiator) error {
	if err := selfInput(svc, &p); err != nil {
		return err
	}
	if err := domain.CheckOwnBucket("params.bucket", svc.Username, bucket); err != nil {
		return err
	}
	if _, _, err := m.selfStart(ctx, svc, who, selfGate{write: true}); err != nil {
		return err
	}
	if err := m.ownBucket(ctx, bucket); err != nil {
		return err
	}
	if !on {
		locked, err := m.S3.ObjectLock(ctx, bucket)
		if err != nil {
			return err
		}
		if locked {
			return domain.Refusef(domain.ENOTALLOWED, domain.RefuseNotPermitted, "bucket %s has object lock, which keeps versioning on", bucket)
		}
	}
	if err := m.S3.SetVersioning(ctx, bucket, on); err != nil {
		return err
	}
	m.log().Info("bucket versioning set", "service", svc.ID, "bucket", bucket, "on", on, "by", who)
	return nil
}

// SetLifecycle writes the bucket's expiry rules. Rules that delete data
// need confirm; the tenant's own rules (set with S3 tools) stay.
func (m *Manager) SetLifecycle(ctx context.Context, svc domain.ServiceRef, p domain.Product, bucket string, l domain.Lifecycle, confirm bool, who Initiator) error {
	if err := selfInput(svc, &p); err != nil {
		return err
	}
	if err := domain.CheckOwnBucket("params.bucket", svc.Username, bucket); err != nil {
		return err
	}
	if err := l.Check(); err != nil {
		return err
	}
	if l.Deletes() && !confirm {
		return domain.Refusef(domain.EINVALID, domain.RefuseConfirm, "params.confirm: expiry rules delete objects; confirm them")
	}
	if _, _, err := m.selfStart(ctx, svc, who, selfGate{write: true}); err != nil {
		return err
	}
	if err := m.ownBucket(ctx, bucket); err != nil {
		return err
	}
	if err := m.S3.SetLifecycle(ctx, bucket, l); err != nil {
		return err
	}
	m.log().Info("bucket expiry rules set", "service", svc.ID, "bucket", bucket, "expireDays", l.ExpireDays, "noncurrentDays", l.NoncurrentDays, "by", who)
	return nil
}

// PublicSet answers SetPublicRead: Withheld says why a public read that
// was asked for waits (the account is suspended or at its limit).
type PublicSet struct {
	Bucket   string `json:"bucket"`
	Public   bool   `json:"public"`
	Prefix   string `json:"prefix"`
	Withheld string `json:"withheld,omitempty"`
}

// SetPublicRead lets anyone download the bucket's objects under prefix
// ("" for all), where the product permits public read, or ends it. While
// the account is suspended or at its disk limit, a public read is kept in
// the store, as suspend and the limit keep the ones they take off, and put
// on the bucket when the account is back to normal.
func (m *Manager) SetPublicRead(ctx context.Context, svc domain.ServiceRef, p domain.Product, bucket string, on bool, prefix string, who Initiator) (PublicSet, error) {
	out := PublicSet{Bucket: bucket, Public: on}
	if err := selfInput(svc, &p); err != nil {
		return out, err
	}
	if err := domain.CheckOwnBucket("params.bucket", svc.Username, bucket); err != nil {
		return out, err
	}
	if err := domain.CheckPublicPrefix(prefix); err != nil {
		return out, err
	}
	doc := ""
	if on {
		var err error
		if doc, err = domain.PublicReadPolicy(bucket, prefix); err != nil {
			return out, err
		}
		if !p.Allows(domain.PermPublic) {
			return out, domain.Refusef(domain.ENOTALLOWED, domain.RefuseNotPermitted, "the product does not permit public read")
		}
		out.Prefix = prefix
	}
	st, rec, err := m.selfStart(ctx, svc, who, selfGate{write: true})
	if err != nil {
		return out, err
	}
	if err := m.ownBucket(ctx, bucket); err != nil {
		return out, err
	}
	// A kept policy of this bucket is replaced by what is asked now, or
	// it would come back over it.
	if err := st.ReleaseWithheld(ctx, m.ServerID, svc.ID, bucket); err != nil {
		return out, err
	}
	switch {
	case on && rec.Suspended:
		out.Withheld = domain.WithheldSuspended
	case on && limited(rec):
		out.Withheld = domain.WithheldLimited
	}
	if on {
		// Suspend and the limit look for bucket policies on the buckets
		// the store knows (surface.go, policyCandidates): a bucket made
		// with S3 tools since the last measurement is recorded now.
		if err := st.AddBucket(ctx, m.ServerID, svc.ID, bucket); err != nil {
			return out, err
		}
	}
	if out.Withheld != "" {
		if err := m.S3.SetBucketPolicy(ctx, bucket, ""); err != nil {
			return out, err
		}
		w := domain.WithheldPolicy{Bucket: bucket, Policy: doc, Reason: out.Withheld, At: m.now()}
		if err := st.WithholdPolicy(ctx, m.ServerID, svc.ID, w); err != nil {
			return out, err
		}
	} else if err := m.S3.SetBucketPolicy(ctx, bucket, doc); err != nil {
		return out, err
	}
	m.log().Info("bucket public read set", "service", svc.ID, "bucket", bucket, "public", on, "withheld", out.Withheld, "by", who)
	return out, nil
}

// BucketSettings reads what the bucket page shows of one of the tenant's
// buckets: versioning, object lock, expiry rules and public read, from the
// server, and a public read the module keeps off it, from the store.
func (m *Manager) BucketSettings(ctx context.Context, svc domain.ServiceRef, bucket string) (domain.BucketSettings, error) {
	out := domain.BucketSettings{Bucket: bucket}
	if err := checkService(svc); err != nil {
		return out, err
	}
	if err := domain.CheckOwnBucket("params.bucket", svc.Username, bucket); err != nil {
		return out, err
	}
	if err := m.selfSupported(); err != nil {
		return out, err
	}
	st, err := m.store()
	if err != nil {
		return out, err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return out, err
	}
	if err := m.ownBucket(ctx, bucket); err != nil {
		return out, err
	}
	if out.Versioning, err = m.S3.Versioning(ctx, bucket); err != nil {
		return out, err
	}
	if out.Empty, err = m.S3.BucketEmpty(ctx, bucket); err != nil {
		return out, err
	}
	if out.ObjectLock, err = m.S3.ObjectLock(ctx, bucket); err != nil {
		return out, err
	}
	if out.Lifecycle, out.OtherRules, err = m.S3.Lifecycle(ctx, bucket); err != nil {
		return out, err
	}
	pol, err := m.S3.BucketPolicy(ctx, bucket)
	if err != nil {
		return out, err
	}
	if prefix, module, ok := domain.PublicRead(bucket, pol); ok {
		out.Public = domain.PublicState{On: true, Prefix: prefix, Module: module}
		return out, nil
	}
	kept, err := st.WithheldPolicies(ctx, m.ServerID, svc.ID)
	if err != nil {
		return out, err
	}
	for _, w := range kept {
		if w.Bucket != bucket {
			continue
		}
		prefix, module, _ := domain.PublicRead(bucket, w.Policy)
		out.Public = domain.PublicState{On: true, Prefix: prefix, Module: module, Withheld: w.Reason}
	}
	return out, nil
}
