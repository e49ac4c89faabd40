package rgw

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/minio/minio-go/v7"
)

// MeasureAll reads every account's buckets in one call, with exact bytes
// at once after the writes; the parts of an upload in progress count.
// Measure reads one account the same way.
func TestMeasure(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, pa := provisioned(t, g, ProvisionReq{})
	b, pb := provisioned(t, g, ProvisionReq{})
	ca, cb := mc(t, a.User, pa.Secret), mc(t, b.User, pb.Secret)
	for i, n := range []int{1000, 2345} {
		if err := putObject(ctx, ca, "data", fmt.Sprint(i), n); err != nil {
			t.Fatal(err)
		}
	}
	if err := cb.MakeBucket(ctx, "empty", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	core := minio.Core{Client: cb}
	id, err := core.NewMultipartUpload(ctx, "data", "big", minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.PutObjectPart(ctx, "data", "big", id, 1, bytes.NewReader(make([]byte, 5<<20)), 5<<20, minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}

	all, err := g.MeasureAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Account]string{
		a: "data 3345 2",
		b: "data 5242880 1, empty 0 0",
	}
	for acct, w := range want {
		var got string
		for i, bk := range all.Accounts[acct] {
			if i > 0 {
				got += ", "
			}
			got += fmt.Sprintf("%s %d %d", bk.Name, bk.Bytes, bk.Objects)
			if bk.Created.IsZero() || bk.Versions != bk.Objects {
				t.Errorf("%s: %+v", acct.User, bk)
			}
		}
		if got != w {
			t.Errorf("MeasureAll for %s: %s, want %s", acct.User, got, w)
		}
		one, err := g.Measure(ctx, acct)
		if err != nil || fmt.Sprint(one) != fmt.Sprint(all.Accounts[acct]) {
			t.Errorf("Measure(%s) = %v, %v; MeasureAll has %v", acct.User, one, err, all.Accounts[acct])
		}
	}
	// The admin user's own buckets (none here) and any other tenant's are
	// not accounts; the cluster's admin user is not one.
	if _, ok := all.Accounts[Account{}]; ok {
		t.Fatal("MeasureAll holds the zero account")
	}
	if got, err := g.Measure(ctx, newAccount()); err != nil || len(got) != 0 {
		t.Fatalf("Measure of a missing account = %v, %v", got, err)
	}
}
