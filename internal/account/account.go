// Package account runs an S3 storage account through its life: create,
// suspend, unsuspend, terminate, change password, change package, policy
// switching and the usage run, and it gathers what the client area and the
// admin tab show. Every action is idempotent: after a partial failure,
// running it again finishes the job instead of failing on what is already
// done.
//
// Every action checks its input (the product settings, names, passwords)
// once, with the rules of internal/domain, before it touches the store or
// the server, so a refused action has changed nothing. The package knows
// neither MinIO's wire protocol nor SQLite: it works through the three
// small interfaces below, which internal/minioadmin, internal/s3 and
// internal/sqlite implement and cmd/puqminio wires together.
package account

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// IAM is the admin side of the storage server: users, their policies and
// groups, access keys, server and usage figures. Errors are domain errors;
// a missing user, policy, group or key is domain.ENOTFOUND.
type IAM interface {
	ServerInfo(ctx context.Context) (domain.ServerInfo, error)
	// StorageInfo tells the drives only: what pages read (ServerInfo loads
	// every bucket's usage on the server).
	StorageInfo(ctx context.Context) (domain.ServerInfo, error)
	DataUsageInfo(ctx context.Context) (domain.DataUsage, error)
	ListUsers(ctx context.Context) (map[string]domain.UserInfo, error)
	// UserInfo answers domain.ECONFLICT when the name belongs to an access
	// key rather than a user.
	UserInfo(ctx context.Context, user string) (domain.UserInfo, error)
	// AddUser creates the user (or replaces its secret) and sets its status.
	AddUser(ctx context.Context, user, secret string, enabled bool) error
	// ChangeSecret gives an existing user a new secret and sets its status.
	ChangeSecret(ctx context.Context, user, secret string, enabled bool) error
	SetUserStatus(ctx context.Context, user string, enabled bool) error
	RemoveUser(ctx context.Context, user string) error
	// AddCannedPolicy creates the policy or replaces its document in place.
	AddCannedPolicy(ctx context.Context, name string, doc []byte) error
	RemoveCannedPolicy(ctx context.Context, name string) error
	// SetUserPolicies replaces the user's whole policy mapping (a plain
	// call, unlike MinIO's attach route, whose answer is encrypted).
	SetUserPolicies(ctx context.Context, user string, policies []string) error
	AddGroupMembers(ctx context.Context, group string, members ...string) error
	RemoveGroupMembers(ctx context.Context, group string, members ...string) error
	ListServiceAccounts(ctx context.Context, user string) ([]domain.AccessKeyInfo, error)
	DeleteServiceAccount(ctx context.Context, accessKey string) error
	// CreateAccessKey makes the access key r asks for under r.Parent; an
	// access key or user of that name is domain.ECONFLICT.
	CreateAccessKey(ctx context.Context, r domain.NewKeyRequest) error
	// AccessKeyParent names the user an access key belongs to.
	AccessKeyParent(ctx context.Context, accessKey string) (string, error)
	// RevokeTokens ends the user's STS credentials for good; an older
	// server answers domain.EUNSUPPORTED.
	RevokeTokens(ctx context.Context, user string) error
	// GroupPolicies names the policies attached to a group (none when the
	// group does not exist); PolicyDocument reads one.
	GroupPolicies(ctx context.Context, group string) ([]string, error)
	PolicyDocument(ctx context.Context, name string) ([]byte, error)
}

// Buckets is the S3 side of the server, used with the admin credentials.
type Buckets interface {
	ListBuckets(ctx context.Context) ([]domain.Bucket, error)
	// BucketsOf returns the buckets in user's namespace.
	BucketsOf(ctx context.Context, user string) ([]domain.Bucket, error)
	// BucketExists asks about one bucket by name.
	BucketExists(ctx context.Context, name string) (bool, error)
	// MakeBucket creates a bucket; one that exists already is fine.
	MakeBucket(ctx context.Context, name string) error
	// Measure lists every version in the bucket and fills in its figures.
	Measure(ctx context.Context, b *domain.Bucket) error
	// FindLocked returns up to limit object versions that retention or a
	// legal hold keeps from being deleted at now.
	FindLocked(ctx context.Context, buckets []string, now time.Time, limit int) ([]domain.LockedObject, error)
	// Purge aborts the bucket's uploads in progress, removes every object
	// version of the bucket, then the bucket, and returns how many versions
	// it removed; versions under retention stay (domain.ERETENTION).
	Purge(ctx context.Context, bucket string) (int64, error)
	// BucketPolicy reads a bucket's policy ("" for none); SetBucketPolicy
	// writes one ("" removes it).
	BucketPolicy(ctx context.Context, bucket string) (string, error)
	SetBucketPolicy(ctx context.Context, bucket, policy string) error
	// CredentialsWork reports whether the server accepts a key pair.
	CredentialsWork(ctx context.Context, accessKey, secretKey string) (bool, error)
	// CreateBucket makes a bucket a tenant asked for, with object lock
	// when objectLock is set; one that exists is domain.ECONFLICT.
	CreateBucket(ctx context.Context, name string, objectLock bool) error
	// BucketEmpty reports whether the bucket holds no version and no
	// delete marker.
	BucketEmpty(ctx context.Context, bucket string) (bool, error)
	// Versioning returns domain.VersioningOff, VersioningEnabled or
	// VersioningSuspended; SetVersioning enables or suspends it.
	Versioning(ctx context.Context, bucket string) (string, error)
	SetVersioning(ctx context.Context, bucket string, on bool) error
	// ObjectLock reports whether the bucket was made with object lock.
	ObjectLock(ctx context.Context, bucket string) (bool, error)
	// Lifecycle returns the client area's expiry rules of the bucket and
	// how many other rules it holds; SetLifecycle writes the client area's
	// rules and keeps the others.
	Lifecycle(ctx context.Context, bucket string) (domain.Lifecycle, int, error)
	SetLifecycle(ctx context.Context, bucket string, l domain.Lifecycle) error
}

// Store keeps the accounts and their usage history.
type Store interface {
	Account(ctx context.Context, serverID, serviceID int64) (domain.Account, bool, error)
	// AccountByUsername finds the account that recorded user on serverID.
	AccountByUsername(ctx context.Context, serverID int64, user string) (domain.Account, bool, error)
	AccountsByServer(ctx context.Context, serverID int64) ([]domain.Account, error)
	// SaveAccounts writes new rows, or replaces rows whole, in one
	// transaction.
	SaveAccounts(ctx context.Context, accounts []domain.Account) error
	// ChangeAccount writes only the fields the change names.
	ChangeAccount(ctx context.Context, serverID, serviceID int64, ch domain.AccountChange) error
	DeleteAccount(ctx context.Context, serverID, serviceID int64) error
	MarkNotified(ctx context.Context, serverID, serviceID int64, kind string) error
	// MarkEgressNotified records the egress warning of month as sent.
	MarkEgressNotified(ctx context.Context, serverID, serviceID int64, month time.Time) error
	RecordCollection(ctx context.Context, serverID int64, samples []domain.Sample, states map[int64]domain.AccountState, retentionDays map[int64]int) error
	Latest(ctx context.Context, serviceID int64) (domain.Sample, bool, error)
	Daily(ctx context.Context, serviceID int64, from, to time.Time) ([]domain.DayUsage, error)
	Monthly(ctx context.Context, serviceID int64, months int, now time.Time) ([]domain.MonthUsage, error)
	MonthToDateAverageBytes(ctx context.Context, serviceID int64, now time.Time) (float64, error)
	// LockNames holds a lock every process using the store shares, while
	// a create picks and records a user name, and while terminate marks an
	// account or a usage run writes policies.
	LockNames(ctx context.Context) (unlock func(), err error)
	WithholdPolicy(ctx context.Context, serverID, serviceID int64, w domain.WithheldPolicy) error
	WithheldPolicies(ctx context.Context, serverID, serviceID int64) ([]domain.WithheldPolicy, error)
	ReleaseWithheld(ctx context.Context, serverID, serviceID int64, bucket string) error
	// NameClashes returns up to limit names recorded here that could
	// overlap name's bucket namespace: other services' accounts, and the
	// users and buckets of the server's last full listing.
	NameClashes(ctx context.Context, serverID, exceptService int64, name string, limit int) ([]domain.NameClash, error)
	SaveServerNames(ctx context.Context, serverID int64, users, buckets []string, at time.Time) error
	ServerNameList(ctx context.Context, serverID int64) (domain.NameList, bool, error)
	ForgetServerName(ctx context.Context, serverID int64, kind, name string) error
	SaveGroupCheck(ctx context.Context, serverID int64, c domain.GroupCheck) error
	GroupCheck(ctx context.Context, serverID int64, group string) (domain.GroupCheck, bool, error)
	// AddTerminatedName, TerminatedNames and ClearTerminatedName keep the
	// names terminate removed until a server-wide listing finds them free.
	AddTerminatedName(ctx context.Context, serverID int64, user string, serviceID int64, at time.Time) error
	TerminatedNames(ctx context.Context, serverID int64) (map[string]time.Time, error)
	ClearTerminatedName(ctx context.Context, serverID int64, user string, listedAt time.Time) error
	SaveServerVersion(ctx context.Context, serverID int64, version string, at time.Time) error
	ServerVersion(ctx context.Context, serverID int64) (string, time.Time, bool, error)
	// SetBuckets records an account's buckets without a measurement.
	SetBuckets(ctx context.Context, serverID, serviceID int64, buckets []domain.Bucket) error
	// BucketUsage returns the account's buckets as last measured.
	BucketUsage(ctx context.Context, serverID, serviceID int64) ([]domain.Bucket, error)
	// TrafficTotal sums the service's metered traffic in the hours that
	// start in [from, to); TrafficDaily and TrafficMonthly give it per UTC
	// day and month (periods without traffic are absent), TrafficByBucket
	// per bucket in the month holding month.
	TrafficTotal(ctx context.Context, serviceID int64, from, to time.Time) (domain.Traffic, error)
	TrafficDaily(ctx context.Context, serviceID int64, from, to time.Time) ([]domain.TrafficDay, error)
	TrafficMonthly(ctx context.Context, serviceID int64, months int, now time.Time) ([]domain.TrafficMonth, error)
	TrafficByBucket(ctx context.Context, serviceID int64, month time.Time) ([]domain.BucketTraffic, error)
	// RecordHourlyTraffic counts traffic a server summed per bucket and
	// hour (RGW's usage log), read for the hours before until, and makes
	// until the end of what serverID counted; hours before that end are
	// skipped when read again. TrafficReadUntil returns that end (false
	// before the first read).
	RecordHourlyTraffic(ctx context.Context, serverID int64, until time.Time, hours []domain.HourlyTraffic) (domain.HourlyCount, error)
	TrafficReadUntil(ctx context.Context, serverID int64) (time.Time, bool, error)
	// Throttle records an action of a service unless it did it less than
	// every ago; then it answers false and when it is allowed again.
	Throttle(ctx context.Context, serviceID int64, action string, every time.Duration) (bool, time.Time, error)
	// RateLimit records an action of a service unless it did it n times
	// within per; then it answers false and when it is allowed again.
	RateLimit(ctx context.Context, serviceID int64, action string, n int, per time.Duration) (bool, time.Time, error)
	// AddBucket and RemoveBucket change the account's stored buckets for
	// one the module made or removed (RemoveBucket forgets its withheld
	// policy too).
	AddBucket(ctx context.Context, serverID, serviceID int64, bucket string) error
	RemoveBucket(ctx context.Context, serverID, serviceID int64, bucket string) error
	// AddAccessKey records a key the module makes unless the service holds
	// max already (domain.ELIMIT); AccessKeys lists them; DeleteAccessKeys
	// forgets the ones named, or all.
	AddAccessKey(ctx context.Context, serverID, serviceID int64, k domain.AccessKey, max int) error
	AccessKeys(ctx context.Context, serverID, serviceID int64) ([]domain.AccessKey, error)
	DeleteAccessKeys(ctx context.Context, serverID, serviceID int64, accessKeys ...string) error
}

// Manager carries out account actions on one server: a MinIO server
// through Admin and S3, or a Ceph RGW server through Gateway (then Admin
// and S3 are nil).
type Manager struct {
	Admin   IAM
	S3      Buckets
	Gateway Gateway
	// Store is the usage store. When it is nil, OpenStore opens it at the
	// first action that needs it, after that action has checked its
	// input: a refused request leaves no database file behind.
	Store     Store
	OpenStore func() (Store, error)
	ServerID  int64
	// FullListUpTo is the number of buckets up to which terminate lists
	// the server's buckets rather than removing those it knows of
	// (bucketsToRemove); 0 means DefaultFullListUpTo, negative never.
	FullListUpTo int
	Now          func() time.Time
	Log          *slog.Logger
}

// Close closes the store if the manager opened it.
func (m *Manager) Close() error {
	if c, ok := m.Store.(io.Closer); ok && m.OpenStore != nil {
		return c.Close()
	}
	return nil
}

// store returns the usage store, opening it on first use.
func (m *Manager) store() (Store, error) {
	if m.Store != nil {
		return m.Store, nil
	}
	if m.OpenStore == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "no usage store is configured")
	}
	st, err := m.OpenStore()
	if err != nil {
		return nil, err
	}
	m.Store = st
	return st, nil
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log != nil {
		return m.Log
	}
	return slog.Default()
}

// record returns the stored record for svc, or a fresh one for an account
// the store has not seen (imported, or created before the store existed)
// or has seen under another user name.
func (m *Manager) record(ctx context.Context, st Store, svc domain.ServiceRef) (domain.Account, error) {
	rec, found, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return rec, err
	}
	if !found || rec.Username != svc.Username {
		rec = domain.Account{ServerID: m.ServerID, ServiceID: svc.ID, Username: svc.Username, CreatedAt: m.now()}
		rec.State.Policy = domain.PolicyStandard
	}
	return rec, nil
}

// checkService checks the service of an action on an existing account.
func checkService(svc domain.ServiceRef) error {
	return domain.Field("service.username", domain.ValidateExistingUsername(svc.Username))
}

// checkOwner refuses to act on svc.Username when the store records that
// user name for another service of this server: a typo in WHMCS's username
// field must not let one service suspend, reset or delete another's
// account.
func (m *Manager) checkOwner(ctx context.Context, st Store, svc domain.ServiceRef) error {
	other, found, err := st.AccountByUsername(ctx, m.ServerID, svc.Username)
	if err != nil || !found || other.ServiceID == svc.ID {
		return err
	}
	return domain.Errorf(domain.ECONFLICT, "service.username %s belongs to service %d on this server, not to service %d; correct the username in WHMCS", svc.Username, other.ServiceID, svc.ID)
}

func isNotFound(err error) bool { return domain.ErrorCode(err) == domain.ENOTFOUND }
