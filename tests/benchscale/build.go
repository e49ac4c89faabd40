package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// population is what a server holds: tenants "1-<id>" for ids
// FirstID..FirstID+Users-1 (client 1, as the module names them), each with
// its canned policy puqminio-<user> attached and one bucket
// "<user>-<suffix>" per suffix; every ObjectsEvery-th bucket, counted over
// the whole server in creation order, holds benchObjects.
type population struct {
	FirstID      int      `json:"firstId"`
	Users        int      `json:"users"`
	Suffixes     []string `json:"suffixes"`
	ObjectsEvery int      `json:"objectsEvery"`
	Workers      int      `json:"-"`
}

// benchObjects are the small objects of a bucket that holds any.
var benchObjects = []struct {
	name string
	size int
}{{"docs/readme.txt", 1 << 10}, {"docs/report.pdf", 4 << 10}, {"photo.jpg", 16 << 10}}

func (p population) buckets() int { return p.Users * len(p.Suffixes) }

// objectBuckets is how many buckets hold objects.
func (p population) objectBuckets() int { return p.buckets() / p.ObjectsEvery }

// holdsObjects says whether the k-th bucket (1-based, creation order)
// holds objects.
func (p population) holdsObjects(k int) bool { return k%p.ObjectsEvery == 0 }

func (p population) user(i int) string { return fmt.Sprintf("1-%d", p.FirstID+i) }

// benchPassword is the test-only password of a bench tenant: derived from
// its name, so the page benchmark knows it without a file of secrets.
func benchPassword(user string) string {
	sum := sha256.Sum256([]byte("puqminio-bench-scale:" + user))
	return "bench-" + hex.EncodeToString(sum[:8])
}

// benchPolicy is the canned policy document the module writes for user
// under a product with default settings.
func benchPolicy(user string) ([]byte, error) {
	p := domain.Product{}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return p.PolicyDocument(domain.PolicyStandard, user)
}

// populate puts p on the server, many tenants at a time. Every step may be
// repeated (a user is added again with the same password, a bucket that
// exists is fine, objects are overwritten), so an interrupted build is
// completed by running it again.
func populate(ctx context.Context, srv serverInfo, p population) error {
	if p.Workers <= 0 {
		p.Workers = 32
	}
	if p.ObjectsEvery <= 0 || len(p.Suffixes) == 0 || p.Users <= 0 {
		return errors.New("populate: users, suffixes and objects-every must be positive")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = p.Workers * 2
	hc := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey, Transport: tr})
	if err != nil {
		return err
	}
	adder, err := newUserAdder(srv, hc)
	if err != nil {
		return err
	}
	mc, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Transport: tr})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan int)
	var done atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range p.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := populateTenant(ctx, admin, adder, mc, p, i); err != nil {
					cancel(err)
					return
				}
				if n := done.Add(1); n%1000 == 0 || int(n) == p.Users {
					el := time.Since(t0)
					logLine("  %d/%d tenants in %v (%.0f/s)", n, p.Users, el.Round(time.Second), float64(n)/el.Seconds())
				}
			}
		}()
	}
feed:
	for i := range p.Users {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return context.Cause(ctx)
}

// populateTenant makes the i-th tenant: policy, user, attachment, buckets
// and, in every ObjectsEvery-th bucket, the objects.
func populateTenant(ctx context.Context, admin *minioadmin.Client, adder *userAdder, mc *minio.Client, p population, i int) error {
	user := p.user(i)
	doc, err := benchPolicy(user)
	if err != nil {
		return err
	}
	pol := domain.PolicyName(user)
	if err := admin.AddCannedPolicy(ctx, pol, doc); err != nil {
		return err
	}
	if err := adder.add(ctx, user, benchPassword(user)); err != nil {
		return err
	}
	if err := admin.SetUserPolicies(ctx, user, []string{pol}); err != nil {
		return err
	}
	for j, suffix := range p.Suffixes {
		bucket := user + "-" + suffix
		if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil &&
			minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("make bucket %s: %w", bucket, err)
		}
		if !p.holdsObjects(i*len(p.Suffixes) + j + 1) {
			continue
		}
		for _, o := range benchObjects {
			if _, err := mc.PutObject(ctx, bucket, o.name, bytes.NewReader(make([]byte, o.size)), int64(o.size),
				minio.PutObjectOptions{}); err != nil {
				return fmt.Errorf("put %s/%s: %w", bucket, o.name, err)
			}
		}
	}
	return nil
}

// waitScanner waits until MinIO's data usage (what the module's pages and
// usage runs read) reports every bucket and every object of p.
func waitScanner(ctx context.Context, srv serverInfo, p population, limit time.Duration) error {
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		return err
	}
	wantBuckets, wantObjects := p.buckets(), p.objectBuckets()*len(benchObjects)
	t0, last := time.Now(), time.Time{}
	for {
		du, err := admin.DataUsageInfo(ctx)
		if err != nil {
			return err
		}
		withObjects := 0
		for _, b := range du.BucketsUsage {
			if b.ObjectsCount > 0 {
				withObjects++
			}
		}
		if len(du.BucketsUsage) >= wantBuckets && du.ObjectsTotalCount >= uint64(wantObjects) {
			logLine("scanner reports %d buckets, %d objects after %v", len(du.BucketsUsage), du.ObjectsTotalCount,
				time.Since(t0).Round(time.Second))
			return nil
		}
		if time.Since(last) > 30*time.Second {
			logLine("  scanner: %d of %d buckets, %d of %d objects (%d buckets with objects)", len(du.BucketsUsage),
				wantBuckets, du.ObjectsTotalCount, wantObjects, withObjects)
			last = time.Now()
		}
		if time.Since(t0) > limit {
			return fmt.Errorf("the scanner reported %d of %d buckets and %d of %d objects after %v",
				len(du.BucketsUsage), wantBuckets, du.ObjectsTotalCount, wantObjects, limit)
		}
		time.Sleep(5 * time.Second)
	}
}

// buildRecord is the marker a finished build leaves beside its data: the
// cache is used only when it exists.
type buildRecord struct {
	population
	Buckets         int       `json:"buckets"`
	Objects         int       `json:"objects"`
	StartSeconds    float64   `json:"startSeconds"`
	PopulateSeconds float64   `json:"populateSeconds"`
	ScannerSeconds  float64   `json:"scannerSeconds"`
	TotalSeconds    float64   `json:"totalSeconds"`
	BuiltAt         time.Time `json:"builtAt"`
}

// cmdBuild builds a server's data directory: MinIO with the fastest
// scanner, the population, then a wait until the scanner has counted it
// all, so that the data usage a restarted server loads is complete.
func cmdBuild(args []string) error {
	fs := flag.NewFlagSet("build", flag.ExitOnError)
	dir := fs.String("data", "", "MinIO data directory to fill")
	marker := fs.String("marker", "", "where to write the build record when done")
	p := population{FirstID: 1}
	fs.IntVar(&p.Users, "users", 10000, "tenants 1-1 … 1-N")
	suffixes := fs.String("suffixes", "data,b1,b2", "bucket suffixes of each tenant")
	fs.IntVar(&p.ObjectsEvery, "objects-every", 10, "every Nth bucket holds objects")
	fs.IntVar(&p.Workers, "workers", 32, "tenants made at a time")
	scanLimit := fs.Duration("scanner-wait", 90*time.Minute, "how long to wait for the scanner")
	_ = fs.Parse(args)
	if *dir == "" || *marker == "" {
		return errors.New("build: -data and -marker are required")
	}
	p.Suffixes = splitList(*suffixes)
	ctx := context.Background()
	t0 := time.Now()
	m, err := startMinIO(*dir, "fastest", filepath.Join(filepath.Dir(*dir), "build-minio.log"), 30*time.Minute)
	if err != nil {
		return err
	}
	defer m.stop()
	rec := buildRecord{population: p, Buckets: p.buckets(), Objects: p.objectBuckets() * len(benchObjects)}
	rec.StartSeconds = time.Since(t0).Seconds()
	logLine("populating %d tenants, %d buckets, objects in %d of them (%d workers)", p.Users, rec.Buckets,
		p.objectBuckets(), p.Workers)
	t1 := time.Now()
	if err := populate(ctx, m.info, p); err != nil {
		return err
	}
	rec.PopulateSeconds = time.Since(t1).Seconds()
	t2 := time.Now()
	if err := waitScanner(ctx, m.info, p, *scanLimit); err != nil {
		return err
	}
	rec.ScannerSeconds = time.Since(t2).Seconds()
	m.stop()
	rec.TotalSeconds = time.Since(t0).Seconds()
	rec.BuiltAt = time.Now().UTC()
	return writeJSON(*marker, rec)
}

// cmdSeed prints the path of the usage store with services "1-1" …
// accounts and days of daily history ending yesterday, building it
// (sqlite.SeedSynthetic) if it is not in the cache directory yet. The
// name holds the schema version and the day, so a store of an older
// schema or day is never used; older ones of the same size are removed.
func cmdSeed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	dir := fs.String("dir", "", "cache directory")
	services := fs.Int("services", 10000, "accounts")
	days := fs.Int("days", 365, "days of history")
	_ = fs.Parse(args)
	if *dir == "" {
		return errors.New("seed: -dir is required")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	end := time.Now().UTC().Truncate(24 * time.Hour)
	size := fmt.Sprintf("%dx%d", *services, *days)
	// Every account records the policy signature of the product the usage
	// runs send, as accounts the module made do: a store without it would
	// have each run rewrite policies, which is an upgrade's one-time cost,
	// not a run's.
	p := usageProduct()
	if err := p.Normalize(); err != nil {
		return err
	}
	sig := p.PolicySignature(domain.PolicyStandard)
	path := filepath.Join(*dir, fmt.Sprintf("store-s%d-%s-%s-%s.db", sqlite.SchemaVersion(), size, end.Format("20060102"), sig[:8]))
	if _, err := os.Stat(path); err != nil {
		old, _ := filepath.Glob(filepath.Join(*dir, "store-s*-"+size+"-*.db"))
		for _, o := range old {
			_ = os.Remove(o)
		}
		t0 := time.Now()
		tmp := path + ".tmp"
		_ = os.Remove(tmp)
		if err := sqlite.SeedSynthetic(tmp, sqlite.Synthetic{ServerID: 1, Services: *services, Days: *days, End: end, PolicySig: sig}); err != nil {
			return err
		}
		for _, ext := range []string{"-wal", "-shm"} {
			_ = os.Remove(tmp + ext)
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
		logLine("seeded %s in %v", path, time.Since(t0).Round(100*time.Millisecond))
	}
	_, err := fmt.Println(path)
	return err
}

// cmdTenant prints {"id", "username", "password"} of tenant 1-<id>, for the
// PHP side's $params.
func cmdTenant(args []string) error {
	fs := flag.NewFlagSet("tenant", flag.ExitOnError)
	id := fs.Int("id", 4, "service id")
	_ = fs.Parse(args)
	user := fmt.Sprintf("1-%d", *id)
	data, err := json.Marshal(map[string]any{"id": *id, "username": user, "password": benchPassword(user)})
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(data))
	return err
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
