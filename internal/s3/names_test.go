package s3

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The name scan lists what minio-go's ListBuckets lists, and keeps only
// the names asked for.
func TestBucketNamesAgreeWithMinioGo(t *testing.T) {
	c := newClient(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := c.MakeBucket(ctx, fmt.Sprintf("names-scan-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.mc.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, b := range all {
		want = append(want, b.Name)
	}
	slices.Sort(want)
	got, err := c.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, b := range got {
		have = append(have, b.Name)
	}
	if !reflect.DeepEqual(have, want) {
		t.Fatalf("scan %q, minio-go %q", have, want)
	}
	own, err := c.BucketsOf(ctx, "names-scan")
	if err != nil || len(own) != 3 {
		t.Fatalf("BucketsOf: %+v %v", own, err)
	}
	bad, _ := New(Config{Endpoint: c.cfg.Endpoint, AccessKey: c.cfg.AccessKey, SecretKey: "wrong-secret-1"})
	if _, err := bad.ListBuckets(ctx); domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("a wrong secret: %v, want %s", err, domain.EUNAUTHORIZED)
	}
}

func TestScanBucketNames(t *testing.T) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>x</ID><DisplayName>Name&amp;<Name>trap</Name></DisplayName></Owner><Buckets><Bucket><Name>a-1</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket><Bucket><Name>b&amp;c</Name></Bucket></Buckets></ListAllMyBucketsResult>`)
	got, err := scanBucketNames(body, func(string) bool { return true })
	if err != nil || !reflect.DeepEqual(got, []string{"a-1", "b&c"}) {
		t.Fatalf("got %q %v", got, err)
	}
	if got, err := scanBucketNames([]byte(`<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>`), func(string) bool { return true }); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
	for _, in := range []string{`<Error><Code>AccessDenied</Code></Error>`, `<Buckets><Bucket><Name>x`} {
		if _, err := scanBucketNames([]byte(in), func(string) bool { return true }); err == nil {
			t.Errorf("%q was taken as a list", in)
		}
	}
}
