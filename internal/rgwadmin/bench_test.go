package rgwadmin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/minio/minio-go/v7"
)

// byteCounter counts the bytes of answer bodies.
type byteCounter struct {
	n atomic.Int64
}

func (b *byteCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countingBody{resp.Body, &b.n}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// population grows the cluster to n users, each in its own tenant with
// one bucket holding one object, so that every user has a bucket and
// usage entries (create_bucket, put_obj) in the current hour.
type population struct {
	users []testUser
}

func (p *population) growTo(b *testing.B, c *Client, n int) {
	b.Helper()
	ctx := context.Background()
	for len(p.users) < n {
		u := testUser{UID: unique("bt") + "$" + unique("u"), AccessKey: unique("AK"), SecretKey: unique("sk")}
		if _, err := c.CreateUser(ctx, CreateUserReq{UID: u.UID, DisplayName: "bench", AccessKey: u.AccessKey,
			SecretKey: u.SecretKey, MaxBuckets: 1}); err != nil {
			b.Fatal(err)
		}
		s3 := s3For(b, u.AccessKey, u.SecretKey)
		if err := s3.MakeBucket(ctx, "data", minio.MakeBucketOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := put(ctx, s3, "data", "obj", []byte("0123456789")); err != nil {
			b.Fatal(err)
		}
		p.users = append(p.users, u)
	}
}

// BenchmarkAllUsers measures the calls that read every user at once: the
// sizes of all buckets of all tenants (one BucketStats call) and the usage
// log of every user, with and without the per-hour entries. Every tenant
// names its bucket "data".
func BenchmarkAllUsers(b *testing.B) {
	var bc byteCounter
	c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Transport: &bc})
	if err != nil {
		b.Fatal(err)
	}
	var pop population
	for _, n := range []int{10, 100, 1000} {
		pop.growTo(b, c, n)
		for _, call := range []struct {
			name string
			run  func() (int, error)
		}{
			{"BucketStats", func() (int, error) { bs, err := c.BucketStats(context.Background(), ""); return len(bs), err }},
			{"Usage", func() (int, error) { u, err := c.Usage(context.Background(), UsageQuery{}); return len(u.Entries), err }},
			{"UsageSummary", func() (int, error) {
				u, err := c.Usage(context.Background(), UsageQuery{SkipEntries: true})
				return len(u.Summary), err
			}},
		} {
			b.Run(fmt.Sprintf("%s/users=%d", call.name, n), func(b *testing.B) {
				bc.n.Store(0)
				var items int
				for b.Loop() {
					if items, err = call.run(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(items), "items")
				b.ReportMetric(float64(bc.n.Load())/float64(b.N), "answer-bytes")
			})
		}
	}
}

func BenchmarkUserInfo(b *testing.B) {
	c := newClient(b)
	for b.Loop() {
		if _, err := c.UserInfo(context.Background(), "puqadmin"); err != nil {
			b.Fatal(err)
		}
	}
}
