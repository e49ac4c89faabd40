package rgwadmin

import (
	"bytes"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// waitUsage polls the usage log until cond holds: the gateway flushes it
// every second (rgw usage log tick interval in testceph), so a test cannot
// read it at once.
func waitUsage(t *testing.T, c *Client, q UsageQuery, cond func(Usage) bool) Usage {
	t.Helper()
	ctx := testCtx(t)
	for {
		u, err := c.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if cond(u) {
			return u
		}
		select {
		case <-ctx.Done():
			t.Fatalf("usage never matched; last: %+v", u)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// category returns the named category's counters in an entry list.
func category(cs []CategoryUsage, name string) Counters {
	for _, c := range cs {
		if c.Category == name {
			return c.Counters
		}
	}
	return Counters{}
}

func TestUsageCountsPutAndGet(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	s3 := u.s3(t)
	bucket := unique("usage")
	if err := s3.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("u"), 12345)
	before := time.Now()
	if err := put(ctx, s3, bucket, "obj", data); err != nil {
		t.Fatal(err)
	}
	if got, err := get(ctx, s3, bucket, "obj"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GET: %d bytes, %v", len(got), err)
	}

	want := func(us Usage) bool {
		if len(us.Summary) != 1 {
			return false
		}
		return category(us.Summary[0].Categories, "get_obj").Ops == 1
	}
	us := waitUsage(t, c, UsageQuery{UID: u.UID}, want)
	s := us.Summary[0]
	puts, gets := category(s.Categories, "put_obj"), category(s.Categories, "get_obj")
	if s.User != u.UID || puts != (Counters{BytesReceived: 12345, Ops: 1, SuccessfulOps: 1}) ||
		gets != (Counters{BytesSent: 12345, Ops: 1, SuccessfulOps: 1}) {
		t.Fatalf("summary = %+v", s)
	}
	var entry *UsageEntry
	for i, e := range us.Entries {
		if e.Bucket == bucket {
			entry = &us.Entries[i]
		}
	}
	hour := before.UTC().Truncate(time.Hour)
	if entry == nil || entry.Owner != u.UID || !entry.Hour.Equal(hour) && !entry.Hour.Equal(hour.Add(time.Hour)) ||
		category(entry.Categories, "put_obj").BytesReceived != 12345 {
		t.Fatalf("entries = %+v", us.Entries)
	}
	var total Counters
	for _, e := range us.Entries {
		total = total.Add(e.Total())
	}
	if total != s.Total {
		t.Fatalf("entries add up to %+v, summary total %+v", total, s.Total)
	}

	// [Start, End) by the entry's hour, for the bucket's entry and the one
	// outside any bucket (minio-go's ListBuckets) alike.
	if _, err := s3.ListBuckets(ctx); err != nil {
		t.Fatal(err)
	}
	waitUsage(t, c, UsageQuery{UID: u.UID}, func(us Usage) bool { return len(us.Entries) == 2 })
	h := entry.Hour
	for name, tc := range map[string]struct {
		q    UsageQuery
		want bool
	}{
		"start at the hour":       {UsageQuery{Start: h}, true},
		"start a second after":    {UsageQuery{Start: h.Add(time.Second)}, false},
		"start a second before":   {UsageQuery{Start: h.Add(-time.Second)}, true},
		"end at the hour":         {UsageQuery{End: h}, false},
		"end a second after":      {UsageQuery{End: h.Add(time.Second)}, true},
		"the hour exactly":        {UsageQuery{Start: h, End: h.Add(time.Hour)}, true},
		"the hour before":         {UsageQuery{Start: h.Add(-time.Hour), End: h}, false},
		"start within the second": {UsageQuery{Start: h.Add(500 * time.Millisecond)}, false},
	} {
		tc.q.UID = u.UID
		got, err := c.Usage(ctx, tc.q)
		want := 0
		if tc.want {
			want = 2
		}
		if err != nil || len(got.Entries) != want {
			t.Errorf("%s: %d entries, %v; want %d", name, len(got.Entries), err, want)
		}
	}

	// Summary only, and hour ranges that miss the traffic.
	full, err := c.Usage(ctx, UsageQuery{UID: u.UID})
	if err != nil || len(full.Summary) != 1 {
		t.Fatalf("usage: %+v, %v", full, err)
	}
	if only, err := c.Usage(ctx, UsageQuery{UID: u.UID, SkipEntries: true}); err != nil ||
		len(only.Entries) != 0 || len(only.Summary) != 1 || only.Summary[0].Total != full.Summary[0].Total {
		t.Fatalf("summary only: %+v, %v", only, err)
	}
	for name, q := range map[string]UsageQuery{
		"future": {UID: u.UID, Start: time.Now().Add(2 * time.Hour)},
		"past":   {UID: u.UID, End: before.Add(-2 * time.Hour)},
	} {
		if got, err := c.Usage(ctx, q); err != nil || len(got.Entries)+len(got.Summary) != 0 {
			t.Fatalf("%s: %+v, %v", name, got, err)
		}
	}
	// The whole log holds this user among others.
	all, err := c.Usage(ctx, UsageQuery{SkipEntries: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range all.Summary {
		found = found || s.User == u.UID
	}
	if !found {
		t.Fatalf("all users' usage lacks %s: %+v", u.UID, all.Summary)
	}
}

func TestTrimUsage(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	other := mustCreateUser(t, c, "")
	for _, x := range []testUser{u, other} {
		if _, err := x.s3(t).ListBuckets(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []testUser{u, other} {
		waitUsage(t, c, UsageQuery{UID: x.UID}, func(us Usage) bool { return len(us.Summary) == 1 })
	}

	// Ranges that miss the hour leave it; the hour's range removes its
	// entry, here the one outside any bucket that RGW's start misses.
	us, err := c.Usage(ctx, UsageQuery{UID: u.UID})
	if err != nil || len(us.Entries) != 1 {
		t.Fatalf("usage: %+v, %v", us, err)
	}
	h := us.Entries[0].Hour
	for _, tr := range []UsageTrim{{UID: u.UID, Start: h.Add(time.Hour)}, {UID: u.UID, End: h}} {
		if err := c.TrimUsage(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.Usage(ctx, UsageQuery{UID: u.UID}); err != nil || len(got.Entries) != 1 {
		t.Fatalf("after trims outside the hour: %+v, %v", got, err)
	}
	for range 2 { // trimming what is gone is fine
		if err := c.TrimUsage(ctx, UsageTrim{UID: u.UID, Start: h, End: h.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := c.Usage(ctx, UsageQuery{UID: u.UID}); err != nil || len(got.Summary)+len(got.Entries) != 0 {
		t.Fatalf("after trim: %+v, %v", got, err)
	}
	if got, err := c.Usage(ctx, UsageQuery{UID: other.UID}); err != nil || len(got.Summary) != 1 {
		t.Fatalf("another user's usage after trimming one: %+v, %v", got, err)
	}

	for name, tr := range map[string]UsageTrim{
		"no uid":           {},
		"uid and AllUsers": {UID: u.UID, AllUsers: true},
	} {
		if err := c.TrimUsage(ctx, tr); err == nil || ErrorCodeOf(err) != "" {
			t.Errorf("%s: %v, want a refusal before any call", name, err)
		}
	}
}
