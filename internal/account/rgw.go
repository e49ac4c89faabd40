package account

import (
	"context"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgw"
)

// Gateway is a Ceph RADOS Gateway server: what the account lifecycle asks
// of it when the server's backend is RGW (internal/rgw implements it over
// the Admin Ops API and each tenant's own S3 key). Each WHMCS service is
// an RGW tenant of its own, so tenants' bucket names cannot meet; the disk
// limit is RGW's hard user quota, which refuses writes past it at once, so
// the limit needs no policy switch; the rest (history, warnings, notices,
// pages, withheld bucket policies) is the same as on MinIO. What the
// product does not permit is denied by each user's guard policy, which
// RGW drops whenever the user is changed: every action that changes the
// user ends with SetGuards.
type Gateway interface {
	Check(ctx context.Context) (rgw.ServerCheck, error)
	Provision(ctx context.Context, a rgw.Account, req rgw.ProvisionReq) (rgw.Provisioned, error)
	Suspend(ctx context.Context, a rgw.Account, keep func(domain.WithheldPolicy) error) ([]domain.WithheldPolicy, error)
	Unsuspend(ctx context.Context, a rgw.Account, restore []domain.WithheldPolicy) (rgw.Restored, error)
	RestorePolicies(ctx context.Context, a rgw.Account, restore []domain.WithheldPolicy) (rgw.Restored, error)
	SetQuota(ctx context.Context, a rgw.Account, quotaBytes int64) error
	SetGuards(ctx context.Context, a rgw.Account, al rgw.Allowed, keep func(domain.WithheldPolicy) error) ([]domain.WithheldPolicy, error)
	ChangeSecret(ctx context.Context, a rgw.Account, newSecret string, opts rgw.SecretOptions) (rgw.SecretChanged, error)
	Terminate(ctx context.Context, a rgw.Account) (rgw.Terminated, error)
	MeasureAll(ctx context.Context) (rgw.ServerUsage, error)
	Measure(ctx context.Context, a rgw.Account) ([]domain.Bucket, error)
	Details(ctx context.Context, a rgw.Account) (rgw.Details, error)
	// SettledBefore is the end of the last hour whose usage log is final
	// at now; ReadTraffic reads every user's usage log for the hours in
	// [from, to) in one call (from zero: from the log's start), and
	// TrimTraffic deletes them.
	SettledBefore(now time.Time) time.Time
	ReadTraffic(ctx context.Context, from, to time.Time) ([]rgw.TrafficHour, error)
	TrimTraffic(ctx context.Context, from, to time.Time) error
}

// onRGW says the server's backend is Ceph RGW.
func (m *Manager) onRGW() bool { return m.Gateway != nil }

func rgwAccount(svc domain.ServiceRef) rgw.Account {
	return rgw.Account{Service: svc.ID, User: svc.Username}
}

// allowedOf is what p permits a tenant beyond objects on RGW. (toolkeys
// has no RGW counterpart: a tenant cannot make keys there; keepkeys is
// ChangeSecret's option.)
func allowedOf(p *domain.Product) rgw.Allowed {
	return rgw.Allowed{Public: p.Allows(domain.PermPublic), ObjectLock: p.Allows(domain.PermObjectLock)}
}

// rgwGuard writes the account's guards for p, after an action that
// changed the user (RGW drops them then). A bucket policy the tenant put
// while its product permitted it is withdrawn when p does not, and kept as
// on MinIO (put back when the product permits public again).
func (m *Manager) rgwGuard(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product) error {
	keep := func(w domain.WithheldPolicy) error {
		w.Reason, w.At = domain.WithheldProduct, m.now()
		return st.WithholdPolicy(ctx, m.ServerID, svc.ID, w)
	}
	w, err := m.Gateway.SetGuards(ctx, rgwAccount(svc), allowedOf(p), keep)
	if len(w) > 0 {
		m.log().Info("bucket policies withdrawn: the product does not permit public", "service", svc.ID, "user", svc.Username, "buckets", len(w), "backend", "rgw")
	}
	return err
}

// quotaFor is the RGW user quota an account holds: the product's limit,
// or, while an admin forces the limited policy, one byte (nothing more
// can be written; reading and deleting go on, as with MinIO's limit
// policy).
func quotaFor(p *domain.Product, forced domain.PolicyState) int64 {
	if forced == domain.PolicyLimited {
		return 1
	}
	return p.LimitBytes()
}

// rgwCreate provisions the account on RGW: the tenant's user with the
// WHMCS user name as its access key, its quota and its default bucket.
// The name is picked and recorded as on MinIO (under the store's name
// lock); tenants do not share a bucket namespace, so only another account
// of the store, or a key RGW already has, can take it.
func (m *Manager) rgwCreate(ctx context.Context, st Store, svc domain.ServiceRef, p domain.Product, password string) (domain.Created, error) {
	rec, found, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return domain.Created{}, err
	}
	user := rec.Username
	if !found || user == "" {
		if rec, err = m.claimNameWith(ctx, st, svc, p, m.rgwNameClash); err != nil {
			return domain.Created{}, err
		}
		user = rec.Username
	}
	ref := domain.ServiceRef{ID: svc.ID, ClientID: svc.ClientID, Username: user}
	req := rgw.ProvisionReq{Secret: svc.Password, NewSecret: password, QuotaBytes: quotaFor(&p, rec.State.Forced), Allowed: allowedOf(&p)}
	if p.DefaultBucket {
		req.DefaultBucket = domain.DefaultBucketName(user, p.BucketSuffix)
	}
	if domain.ValidatePassword(req.Secret) != nil {
		req.Secret = ""
	}
	got, err := m.Gateway.Provision(ctx, rgwAccount(ref), req)
	if err != nil {
		return domain.Created{}, err
	}
	ch := domain.AccountChange{Username: user, Policy: domain.PolicyStandard, PolicySig: rgwSignature}
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, ch); err != nil {
		return domain.Created{}, err
	}
	if got.Created && got.Bucket != "" {
		if err := st.SetBuckets(ctx, m.ServerID, svc.ID, []domain.Bucket{{Name: got.Bucket}}); err != nil {
			return domain.Created{}, err
		}
	}
	m.log().Info("account created", "service", svc.ID, "user", user, "bucket", got.Bucket, "backend", "rgw")
	return domain.Created{Username: user, Password: got.Secret, Bucket: got.Bucket}, nil
}

// rgwSignature stands in the accounts' policy signature on RGW, where no
// policy document is written: usage runs then never rewrite one.
const rgwSignature = "rgw"

// rgwNameClash is nameClash on RGW: a name another account of this store
// recorded is taken; RGW itself refuses a key another user holds
// (Provision answers a conflict naming it).
func (m *Manager) rgwNameClash(ctx context.Context, st Store, svc domain.ServiceRef, name string, _ bool) (string, error) {
	other, found, err := st.AccountByUsername(ctx, m.ServerID, name)
	if err != nil || !found || other.ServiceID == svc.ID {
		return "", err
	}
	return "user " + name, nil
}

func (m *Manager) rgwSuspend(ctx context.Context, st Store, svc domain.ServiceRef) error {
	keep := func(w domain.WithheldPolicy) error {
		w.Reason, w.At = domain.WithheldSuspended, m.now()
		return st.WithholdPolicy(ctx, m.ServerID, svc.ID, w)
	}
	if _, err := m.Gateway.Suspend(ctx, rgwAccount(svc), keep); err != nil {
		return err
	}
	suspended := true
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Suspended: &suspended}); err != nil {
		return err
	}
	m.log().Info("account suspended", "service", svc.ID, "user", svc.Username, "backend", "rgw")
	return nil
}

func (m *Manager) rgwUnsuspend(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product) error {
	var restore []domain.WithheldPolicy
	if p.Allows(domain.PermPublic) {
		kept, err := st.WithheldPolicies(ctx, m.ServerID, svc.ID)
		if err != nil {
			return err
		}
		restore = kept
	}
	res, err := m.Gateway.Unsuspend(ctx, rgwAccount(svc), restore)
	if err != nil {
		return err
	}
	if err := m.rgwGuard(ctx, st, svc, p); err != nil {
		return err
	}
	if err := m.rgwRelease(ctx, st, svc, res); err != nil {
		return err
	}
	suspended := false
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, domain.AccountChange{Username: svc.Username, Suspended: &suspended}); err != nil {
		return err
	}
	m.log().Info("account unsuspended", "service", svc.ID, "user", svc.Username, "backend", "rgw")
	return nil
}

// rgwRelease forgets the kept bucket policies res put back or skipped.
func (m *Manager) rgwRelease(ctx context.Context, st Store, svc domain.ServiceRef, res rgw.Restored) error {
	for _, b := range append(res.Restored, res.Skipped...) {
		if err := st.ReleaseWithheld(ctx, m.ServerID, svc.ID, b); err != nil {
			return err
		}
	}
	return nil
}

func (m *Manager) rgwChangePassword(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product) error {
	res, err := m.Gateway.ChangeSecret(ctx, rgwAccount(svc), svc.Password, rgw.SecretOptions{KeepOtherKeys: p.Allows(domain.PermKeepKeys)})
	if err != nil {
		return err
	}
	if err := m.rgwGuard(ctx, st, svc, p); err != nil {
		return err
	}
	m.log().Info("password changed", "service", svc.ID, "user", svc.Username, "keysRemoved", res.KeysRemoved, "subusersRemoved", res.SubusersRemoved, "backend", "rgw")
	return nil
}

// rgwApplyPolicy sets the quota and the guards the product (or the
// admin's forced state) calls for and records the state usage decides, as
// applyPolicy does with policy documents on MinIO.
func (m *Manager) rgwApplyPolicy(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product, forced domain.PolicyState) (domain.PolicyState, error) {
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return "", err
	}
	rec.State.Forced = forced
	var used int64
	if last, ok, err := st.Latest(ctx, svc.ID); err != nil {
		return "", err
	} else if ok {
		used = last.Bytes
	}
	ev := domain.Evaluate(p, svc.Username, used, rec.State)
	if err := m.Gateway.SetQuota(ctx, rgwAccount(svc), quotaFor(p, forced)); err != nil {
		return "", err
	}
	if err := m.rgwGuard(ctx, st, svc, p); err != nil {
		return "", err
	}
	// A product with public gets back the policies a product without it
	// withheld, at once, as on MinIO; a suspended account at unsuspend.
	if p.Allows(domain.PermPublic) && !rec.Suspended {
		kept, err := st.WithheldPolicies(ctx, m.ServerID, svc.ID)
		if err != nil {
			return "", err
		}
		if len(kept) > 0 {
			res, err := m.Gateway.RestorePolicies(ctx, rgwAccount(svc), kept)
			if err != nil {
				return "", err
			}
			if err := m.rgwRelease(ctx, st, svc, res); err != nil {
				return "", err
			}
		}
	}
	ch := domain.AccountChange{Username: svc.Username, Policy: ev.WantPolicy, PolicySig: rgwSignature, Forced: &forced}
	if err := st.ChangeAccount(ctx, m.ServerID, svc.ID, ch); err != nil {
		return "", err
	}
	return ev.WantPolicy, nil
}

func (m *Manager) rgwTerminate(ctx context.Context, st Store, svc domain.ServiceRef) (domain.Terminated, error) {
	res, err := m.Gateway.Terminate(ctx, rgwAccount(svc))
	if err != nil {
		return res.Terminated, err
	}
	if err := st.DeleteAccount(ctx, m.ServerID, svc.ID); err != nil {
		return res.Terminated, err
	}
	m.log().Info("account terminated", "service", svc.ID, "user", svc.Username, "buckets", res.Buckets, "objects", res.Objects, "backend", "rgw")
	return res.Terminated, nil
}

// rgwMeasure reads every account's buckets in one call (exact: RGW's
// bucket indexes have no scanner lag), or only svc's for a Recalculate.
func (m *Manager) rgwMeasure(ctx context.Context, services []UsageService, byUser map[string]int, one bool) (map[int][]domain.Bucket, time.Time, error) {
	out := map[int][]domain.Bucket{}
	if one {
		for user, i := range byUser {
			bs, err := m.Gateway.Measure(ctx, rgw.Account{Service: services[i].ID, User: user})
			if err != nil {
				return nil, time.Time{}, err
			}
			out[i] = bs
		}
		return out, m.now(), nil
	}
	all, err := m.Gateway.MeasureAll(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	for a, bs := range all.Accounts {
		if i, ok := byUser[a.User]; ok && services[i].ID == a.Service {
			out[i] = bs
		}
	}
	return out, m.now(), nil
}

func (m *Manager) rgwDetails(ctx context.Context, svc domain.ServiceRef, d *AccountDetails) error {
	det, err := m.Gateway.Details(ctx, rgwAccount(svc))
	if err != nil {
		return err
	}
	d.Exists, d.Enabled = det.Exists, det.Exists && !det.Suspended && !det.Provisioning
	return nil
}

func (m *Manager) rgwCheck(ctx context.Context) (ServerStatus, error) {
	c, err := m.Gateway.Check(ctx)
	st := ServerStatus{Version: c.Version, Mode: "rgw", Servers: 1, CanManageUsers: err == nil}
	if c.Topics {
		st.Warnings = append(st.Warnings, "the gateway offers SNS topics: any tenant can make one with a push endpoint, a URL the gateway then POSTs events to, its internal network included, and no user policy stops it; set rgw enable apis without notifications (docs/install.md)")
	}
	return st, err
}

// rgwTraffic counts the server's traffic from RGW's usage log: the settled
// hours since the last read, for every account at once (one read, however
// many services), then trims what it counted.
//
// Exactly once rests on a per-server read mark (the end of the hours
// counted, TrafficReadUntil) that is written in the transaction that adds
// the counters, rather than on the records' keys: the log is read by
// whole settled hours, so "hours before the mark are counted" says all
// there is to say, a repeated read (the trim failed, two runs at once)
// adds nothing whenever it comes, and nothing has to be kept per record
// or pruned (traffic_seen forgets its keys after 48 hours; a trim failing
// for longer would then count twice). The current hour, and the last one
// for RGW's settle time, are not read: an hour counted is never read
// again, so it must not grow afterwards.
//
// The trim runs from the log's start on every run, with or without a new
// hour to read: everything before the mark is counted, so it also removes
// what an earlier failed trim left. Counting that succeeds before a failed
// trim is kept; the error says so.
func (m *Manager) rgwTraffic(ctx context.Context, st Store, now time.Time) error {
	to := m.Gateway.SettledBefore(now)
	from, _, err := st.TrafficReadUntil(ctx, m.ServerID)
	if err != nil {
		return err
	}
	if from.Before(to) { // else read up to the last settled hour already
		read, err := m.Gateway.ReadTraffic(ctx, from, to)
		if err != nil {
			return err
		}
		hours := make([]domain.HourlyTraffic, len(read))
		for i, h := range read {
			hours[i] = domain.HourlyTraffic{Hour: h.Hour, Service: h.Account.Service, User: h.Account.User, Bucket: h.Bucket, Traffic: h.Traffic}
		}
		n, err := st.RecordHourlyTraffic(ctx, m.ServerID, to, hours)
		if err != nil {
			return err
		}
		m.log().Info("traffic read from the usage log", "from", from, "to", to, "counted", n.Counted, "skipped", n.Skipped, "backend", "rgw")
	}
	if err := m.Gateway.TrimTraffic(ctx, time.Time{}, to); err != nil {
		return domain.Errorf(domain.ErrorCode(err), "the traffic before %s is counted, but trimming the usage log failed (the next run trims it): %s",
			to.Format(time.RFC3339), domain.ErrorMessage(err))
	}
	return nil
}
