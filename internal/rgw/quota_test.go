package rgw

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// A PUT past the quota is refused with QuotaExceeded; raising the quota
// (a package change) lets the same PUT through at once, and lowering it
// below what is stored refuses the next one.
func TestSetQuota(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{QuotaBytes: 1 << 20})
	tenant := newS3cmd(t, a.User, p.Secret)
	part := file(t, 600<<10)
	tenant.must("put", part, "s3://data/first")
	if out := tenant.refused("put", part, "s3://data/second"); !strings.Contains(out, "QuotaExceeded") {
		t.Fatalf("a PUT past the quota, refused but not by the quota:\n%s", out)
	}
	if err := g.SetQuota(ctx, a, 2<<20); err != nil {
		t.Fatal(err)
	}
	tenant.must("put", part, "s3://data/second")
	if err := g.SetQuota(ctx, a, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := putObject(ctx, mc(t, a.User, p.Secret), "data", "third", 1000); s3Code(err) != codeQuotaExceeded {
		t.Fatalf("a PUT after lowering the quota below the stored 1.2 MB: %v", err)
	}
	// No limit.
	if err := g.SetQuota(ctx, a, 0); err != nil {
		t.Fatal(err)
	}
	tenant.must("put", part, "s3://data/third")
	if d, err := g.Details(ctx, a); err != nil || d.QuotaBytes != 0 {
		t.Fatalf("Details after SetQuota(0): %+v, %v", d, err)
	}
	if err := g.SetQuota(ctx, newAccount(), 1); code(err) != "not_found" {
		t.Fatalf("SetQuota of a missing account: %v", err)
	}
	if err := g.SetQuota(ctx, a, -1); code(err) != "invalid_field" {
		t.Fatalf("SetQuota(-1): %v", err)
	}
	if err := g.SetMaxBuckets(ctx, a, 7); err != nil {
		t.Fatal(err)
	}
	if d, err := g.Details(ctx, a); err != nil || d.MaxBuckets != 7 {
		t.Fatalf("Details after SetMaxBuckets: %+v, %v", d, err)
	}
}

// Why SetQuota syncs the user's stored stats and keeps the quota enabled:
// when a quota is enabled, RGW fills its quota cache for the user from the
// usage stored with the user at the first checked request, and keeps it
// for the cache's life ("rgw bucket quota ttl", 600 s by default), adding
// the writes it sees. The stored usage of a user that never had a quota is
// stale (0 here), so a quota enabled on a user holding data was not
// enforced, not even after a sync; synced before the quota is enabled, it
// was. And the parts of an upload in progress count.
func TestQuotaEnabledLaterNeedsSyncedStats(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	admin := adminClient(t)
	limit := rgwadmin.Quota{Enabled: true, MaxSize: 1 << 20, MaxObjects: rgwadmin.NoLimit}
	// A user holding 1.2 MB, no quota.
	holder := func(uid, ak string) *minio.Client {
		sk := secret()
		if _, err := admin.CreateUser(ctx, rgwadmin.CreateUserReq{UID: uid, DisplayName: "quota", AccessKey: ak, SecretKey: sk}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.RemoveUser(context.Background(), uid, rgwadmin.RemoveUserOptions{PurgeData: true}) })
		c := mc(t, ak, sk)
		if err := c.MakeBucket(ctx, "quota", minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"a", "b"} {
			if err := putObject(ctx, c, "quota", k, 600<<10); err != nil {
				t.Fatal(err)
			}
		}
		return c
	}

	uid := unique("q") + "$u"
	c := holder(uid, unique("AKQ"))
	if err := admin.SetUserQuota(ctx, uid, limit); err != nil {
		t.Fatal(err)
	}
	if err := putObject(ctx, c, "quota", "c", 1000); err != nil {
		t.Fatalf("a PUT on 1.2 MB under a 1 MiB quota enabled afterwards, stats not synced: %v (RGW enforces it now)", err)
	}
	if st, err := admin.UserStatsSync(ctx, uid); err != nil || st.Size < 1200<<10 {
		t.Fatalf("UserStatsSync = %+v, %v", st, err)
	}
	if err := putObject(ctx, c, "quota", "d", 1000); err != nil {
		t.Fatalf("the same after a sync: %v (RGW enforces it now)", err)
	}

	uid = unique("q") + "$u"
	c = holder(uid, unique("AKQ"))
	if _, err := admin.UserStatsSync(ctx, uid); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetUserQuota(ctx, uid, limit); err != nil {
		t.Fatal(err)
	}
	if err := putObject(ctx, c, "quota", "c", 1000); s3Code(err) != codeQuotaExceeded {
		t.Fatalf("a PUT on 1.2 MB under a 1 MiB quota enabled after a sync: %v", err)
	}

	// SetQuota syncs first: on a user of a module tenant made without a
	// quota (by hand, or before this module), the limit holds at once.
	g := newGateway(t)
	a := newAccount()
	c = holder(g.naming.UID(a), a.User)
	if err := g.SetQuota(ctx, a, 1<<20); err != nil {
		t.Fatal(err)
	}
	if err := putObject(ctx, c, "quota", "c", 1000); s3Code(err) != codeQuotaExceeded {
		t.Fatalf("a PUT on 1.2 MB after SetQuota(1 MiB): %v", err)
	}

	// Parts count.
	a, p := provisioned(t, g, ProvisionReq{QuotaBytes: 8 << 20})
	core := minio.Core{Client: mc(t, a.User, p.Secret)}
	id, err := core.NewMultipartUpload(ctx, "data", "big", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for part, want := range []string{"", codeQuotaExceeded} {
		_, err := core.PutObjectPart(ctx, "data", "big", id, part+1, bytes.NewReader(make([]byte, 5<<20)), 5<<20, minio.PutObjectPartOptions{})
		if s3Code(err) != want && !(want == "" && err == nil) {
			t.Fatalf("part %d of 5 MiB under an 8 MiB quota: %v, want %q", part+1, err, want)
		}
	}
}
