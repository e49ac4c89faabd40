package domain

import (
	"fmt"
	"time"
)

// The types below are what the storage server reports about its users,
// buckets and itself. The adapters (internal/minioadmin, internal/s3) fill
// them in; internal/account acts on them without knowing the wire protocol.

// UserInfo is what the server knows of one user.
type UserInfo struct {
	Enabled   bool
	Policies  []string  // the policies attached to the user itself
	Groups    []string  // the groups it belongs to
	UpdatedAt time.Time // when the policy mapping last changed; zero if it never had one
}

// AccessKeyInfo describes one access key (a MinIO service account) made
// under a user. It never holds the secret.
type AccessKeyInfo struct {
	ParentUser    string
	AccessKey     string
	Name          string
	Description   string
	Enabled       bool
	ImpliedPolicy bool      // it inherits the parent's policies
	Expiration    time.Time // zero when it does not expire
}

// Credentials is a key pair the server issued. Expiration is zero when the
// key does not expire.
type Credentials struct {
	AccessKey  string
	SecretKey  string
	Expiration time.Time
}

// String hides the secret key, so logged credentials cannot leak it.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{AccessKey:%s SecretKey:[REDACTED] Expiration:%s}",
		c.AccessKey, c.Expiration.Format(time.RFC3339))
}

// GoString hides the secret key from %#v as well.
func (c Credentials) GoString() string { return c.String() }

// ServerInfo is the deployment's mode, region and servers with their drives.
type ServerInfo struct {
	Mode         string // "online" once the deployment serves requests
	Region       string
	DeploymentID string
	Servers      []ServerProperties
}

// ServerProperties describes one server process of a deployment.
type ServerProperties struct {
	Endpoint string
	State    string // "online" or "offline"
	Version  string
	CommitID string
	Uptime   int64 // seconds
	Drives   []Drive
}

// Drive is one drive of a server.
type Drive struct {
	Endpoint       string
	Path           string
	State          string // DriveOK when in service; "offline", "faulty", "unformatted", ... otherwise
	UUID           string
	TotalSpace     uint64
	UsedSpace      uint64
	AvailableSpace uint64
}

// DriveOK is the state of a drive in service.
const DriveOK = "ok"

// Version returns the version the first server reports that has one. In a
// rolling upgrade servers differ; look at Servers for each.
func (s ServerInfo) Version() string {
	for _, srv := range s.Servers {
		if srv.Version != "" {
			return srv.Version
		}
	}
	return ""
}

// DrivesOnline counts drives in service across all servers.
func (s ServerInfo) DrivesOnline() int {
	n := 0
	for _, srv := range s.Servers {
		for _, d := range srv.Drives {
			if d.State == DriveOK {
				n++
			}
		}
	}
	return n
}

// DrivesOffline counts drives in any other state across all servers.
func (s ServerInfo) DrivesOffline() int {
	n := 0
	for _, srv := range s.Servers {
		n += len(srv.Drives)
	}
	return n - s.DrivesOnline()
}

// DataUsage is a server-wide snapshot of bucket usage from the server's
// own accounting (MinIO's background scanner). It lags writes and is all
// zero, with a zero LastUpdate, until the first scan completes.
type DataUsage struct {
	LastUpdate        time.Time
	ObjectsTotalCount uint64
	ObjectsTotalSize  uint64 // bytes, noncurrent versions included
	VersionsCount     uint64
	BucketsCount      uint64
	BucketsUsage      map[string]BucketUsage
}

// BucketUsage is one bucket's figures in a DataUsage.
type BucketUsage struct {
	Size               uint64 // bytes, noncurrent versions included
	ObjectsCount       uint64
	VersionsCount      uint64
	DeleteMarkersCount uint64
}

// Bucket is a bucket and, when measured, its contents.
type Bucket struct {
	Name     string
	Created  time.Time
	Bytes    int64 // all versions, as the server bills disk
	Objects  int64 // current objects
	Versions int64 // all versions, delete markers included
}

// LockedObject names an object version that retention or a legal hold
// protects from deletion.
type LockedObject struct {
	Bucket, Key, VersionID, Reason string
}
