package minioadmin

import (
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

func TestServerInfo(t *testing.T) {
	info, err := newClient(t).ServerInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != "online" || info.DeploymentID == "" || len(info.Servers) != 1 {
		t.Fatalf("ServerInfo = %+v", info)
	}
	s := info.Servers[0]
	if s.Endpoint != srv.Endpoint || s.State != "online" || info.Version() == "" {
		t.Fatalf("server = %+v, version %q", s, info.Version())
	}
	// The harness runs four drives, erasure coded.
	if info.DrivesOnline() != 4 || info.DrivesOffline() != 0 {
		t.Fatalf("drives online/offline = %d/%d: %+v", info.DrivesOnline(), info.DrivesOffline(), s.Drives)
	}
	if d := s.Drives[0]; d.TotalSpace == 0 || d.Path == "" || d.UUID == "" {
		t.Fatalf("drive = %+v", d)
	}
	t.Logf("MinIO version %s", info.Version())
}

func TestServerInfoDriveCounts(t *testing.T) {
	info := domain.ServerInfo{Servers: []domain.ServerProperties{
		{Version: "v1", Drives: []domain.Drive{{State: "ok"}, {State: "offline"}}},
		{Version: "v2", Drives: []domain.Drive{{State: "ok"}, {State: "faulty"}, {State: "ok"}}},
	}}
	if info.DrivesOnline() != 3 || info.DrivesOffline() != 2 || info.Version() != "v1" {
		t.Fatalf("online %d offline %d version %q", info.DrivesOnline(), info.DrivesOffline(), info.Version())
	}
}

// StorageInfo tells the drives and their states as ServerInfo does.
func TestStorageInfoAgreesWithServerInfo(t *testing.T) {
	c, ctx := newClient(t), testCtx(t)
	si, err := c.ServerInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.StorageInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != "online" || st.DrivesOnline() != si.DrivesOnline() || st.DrivesOffline() != si.DrivesOffline() || st.DrivesOnline() != 4 {
		t.Fatalf("storage info %+v, server info drives %d/%d", st, si.DrivesOnline(), si.DrivesOffline())
	}
	if d := st.Servers[0].Drives[0]; d.TotalSpace == 0 || d.Path == "" || d.UUID == "" {
		t.Fatalf("drive = %+v", d)
	}
}
