package rgw

import (
	"strings"
	"testing"
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
