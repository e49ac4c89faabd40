package minioaudit

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Paths the receiver serves.
const (
	AuditPath  = "/audit"  // MinIO posts its entries here
	HealthPath = "/health" // GET: 200 and a small JSON while accepting, 503 while stopping
)

// Store keeps the traffic the receiver hands it.
type Store interface {
	// Record stores recs durably, skipping the records it stored before,
	// and returns how many it skipped. nil means every record is on disk.
	Record(ctx context.Context, recs []domain.TrafficRecord) (duplicates int, err error)
	// Prune forgets what Record keeps to recognise redeliveries once it is
	// too old to matter, and returns how much it forgot.
	Prune(ctx context.Context) (int64, error)
}

// Config sets a receiver up. Zero values take the defaults.
type Config struct {
	// Token is the bearer token: MinIO must send "Authorization: Bearer
	// <Token>" (its auth_token setting is sent verbatim, so it holds
	// "Bearer <Token>").
	Token string
	Store Store
	Log   *slog.Logger
	// Limits bound one POST body (DefaultLimits).
	Limits Limits
	// QueueSize bounds the entries held in memory, decoded and waiting for
	// the store (100,000, some 20 MB). A POST that finds it full is
	// answered 503 and MinIO keeps its batch. It must hold two bodies of
	// Limits.MaxEntries, so that any body fits once the queue drains.
	QueueSize int
	// MaxBatch bounds the entries of one store transaction (5,000).
	MaxBatch int
	// MaxConcurrent bounds the bodies decoded at once (8): each holds up
	// to Limits.MaxEntryBytes of buffer.
	MaxConcurrent int
	// AnswerWithin is how long a POST waits for its entries to be stored
	// before it is answered 503 (4 s, under MinIO's default http_timeout of
	// 5 s). Entries stored after that are recognised when MinIO sends the
	// batch again.
	AnswerWithin time.Duration
	// StoreTimeout bounds one store transaction, its wait for SQLite's
	// write lock included (30 s).
	StoreTimeout time.Duration
	// PruneEvery is how often the store is pruned (1 h).
	PruneEvery time.Duration
}

func (c *Config) defaults() error {
	if c.Token == "" {
		return errors.New("minioaudit: no token")
	}
	if c.Store == nil {
		return errors.New("minioaudit: no store")
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Limits == (Limits{}) {
		c.Limits = DefaultLimits
	}
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&c.QueueSize, 100000)
	set(&c.MaxBatch, 5000)
	set(&c.MaxConcurrent, 8)
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setD(&c.AnswerWithin, 4*time.Second)
	setD(&c.StoreTimeout, 30*time.Second)
	setD(&c.PruneEvery, time.Hour)
	if c.QueueSize < 2*c.Limits.MaxEntries {
		return errors.New("minioaudit: the queue must hold two bodies of Limits.MaxEntries entries, or a full body could never be accepted")
	}
	return nil
}

// Receiver is the HTTP endpoint of MinIO's audit webhook. Each POST is
// decoded, its requests queued, and a single writer stores the queue in
// batches: whatever has queued while the previous transaction ran, up to
// MaxBatch, so a lone POST waits for no timer and a burst shares a commit.
// A POST is answered 200 only once all of its requests are stored; any
// failure is a 4xx or 5xx, and MinIO keeps the batch and sends it again.
type Receiver struct {
	cfg      Config
	tokenSum [32]byte
	slots    chan struct{}
	held     atomic.Int64 // entries in memory: decoded, queued or being stored

	mu      sync.Mutex
	queue   []*post
	closing bool

	wake    chan struct{}
	stopped chan struct{}

	received, stored, duplicates, ignored, refused atomic.Int64
}

// post is one POST's requests, waiting for the writer.
type post struct {
	recs   []domain.TrafficRecord
	done   chan struct{} // closed by the writer once recs are stored or failed
	failed bool          // set before done is closed
}

// New returns a receiver and starts its writer. Stop it with Close.
func New(cfg Config) (*Receiver, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &Receiver{
		cfg:      cfg,
		tokenSum: sha256.Sum256([]byte("Bearer " + cfg.Token)),
		slots:    make(chan struct{}, cfg.MaxConcurrent),
		wake:     make(chan struct{}, 1),
		stopped:  make(chan struct{}),
	}
	go r.run()
	return r, nil
}

// ServeHTTP serves AuditPath and HealthPath.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.URL.Path == HealthPath && (req.Method == http.MethodGet || req.Method == http.MethodHead):
		r.health(w)
	case req.URL.Path == AuditPath && req.Method == http.MethodPost:
		r.ingest(w, req)
	case req.URL.Path == AuditPath || req.URL.Path == HealthPath:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, req)
	}
}

// Health is what HealthPath answers.
type Health struct {
	Status     string `json:"status"`   // "ok" or "stopping"
	Queued     int64  `json:"queued"`   // entries in memory, not yet stored
	Capacity   int    `json:"capacity"` // QueueSize
	Received   int64  `json:"received"` // entries decoded since start
	Stored     int64  `json:"stored"`   // requests counted since start
	Duplicates int64  `json:"duplicates"`
	Ignored    int64  `json:"ignored"` // MinIO's own events: no request, no traffic
	Refused    int64  `json:"refused"` // POSTs answered 4xx or 503
}

// Health returns the receiver's figures.
func (r *Receiver) Health() Health {
	r.mu.Lock()
	closing := r.closing
	r.mu.Unlock()
	h := Health{Status: "ok", Queued: r.held.Load(), Capacity: r.cfg.QueueSize, Received: r.received.Load(),
		Stored: r.stored.Load(), Duplicates: r.duplicates.Load(), Ignored: r.ignored.Load(), Refused: r.refused.Load()}
	if closing {
		h.Status = "stopping"
	}
	return h
}

func (r *Receiver) health(w http.ResponseWriter) {
	h := r.Health()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(h)
}

// refuse answers a POST with status and a one-line reason, and logs it.
// Nothing of the request's credentials goes into either.
func (r *Receiver) refuse(w http.ResponseWriter, req *http.Request, status int, reason string) {
	r.refused.Add(1)
	level := slog.LevelWarn
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		// MinIO sends the batch again every few seconds and holds the
		// batches behind it: metering stops until this is fixed.
		level = slog.LevelError
	}
	r.cfg.Log.Log(req.Context(), level, "audit post refused", "status", status, "reason", reason, "remote", req.RemoteAddr)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="puqminio traffic"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "3")
	}
	http.Error(w, reason, status)
}

// authorized compares the Authorization header with the token in constant
// time; hashing both first hides the token's length too.
func (r *Receiver) authorized(req *http.Request) bool {
	got := req.Header.Get("Authorization")
	if len(got) >= 7 && strings.EqualFold(got[:7], "Bearer ") {
		got = "Bearer " + got[7:]
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], r.tokenSum[:]) == 1
}

func (r *Receiver) ingest(w http.ResponseWriter, req *http.Request) {
	if !r.authorized(req) {
		r.refuse(w, req, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	if r.isClosing() {
		r.refuse(w, req, http.StatusServiceUnavailable, "the receiver is stopping")
		return
	}
	lim := r.cfg.Limits
	if req.ContentLength > lim.MaxBodyBytes {
		r.refuse(w, req, http.StatusRequestEntityTooLarge, "the body is larger than the receiver accepts; lower MinIO's batch_size")
		return
	}
	ctx, cancel := context.WithTimeout(req.Context(), r.cfg.AnswerWithin)
	defer cancel()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		r.refuse(w, req, http.StatusServiceUnavailable, "too many posts at once")
		return
	}
	p, err := r.decode(w, req)
	<-r.slots
	if err != nil {
		status := http.StatusServiceUnavailable
		switch domain.ErrorCode(err) {
		case domain.ETOOLARGE:
			status = http.StatusRequestEntityTooLarge
		case domain.EINVALIDJSON:
			status = http.StatusBadRequest
		}
		r.refuse(w, req, status, domain.ErrorMessage(err))
		return
	}
	if len(p.recs) > 0 {
		if !r.enqueue(p) {
			r.release(len(p.recs))
			r.refuse(w, req, http.StatusServiceUnavailable, "the receiver is stopping")
			return
		}
		select {
		case <-p.done:
			if p.failed {
				r.refuse(w, req, http.StatusServiceUnavailable, "the traffic could not be stored; see the log")
				return
			}
		case <-ctx.Done():
			// The entries stay queued and will be stored; MinIO sends the
			// batch again and finds them counted.
			r.refuse(w, req, http.StatusServiceUnavailable, "storing took too long")
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// errQueueFull is the decode failure of a POST that found the queue full.
var errQueueFull = domain.Retryf(domain.EUNAVAILABLE, "the queue is full; MinIO will send the batch again")

// decode reads the body and reserves a place in the queue for each
// request. On failure nothing is reserved.
func (r *Receiver) decode(w http.ResponseWriter, req *http.Request) (*post, error) {
	body := http.MaxBytesReader(w, req.Body, r.cfg.Limits.MaxBodyBytes)
	d := NewDecoder(body, r.cfg.Limits)
	p := &post{done: make(chan struct{})}
	var ignored int64
	for {
		var e Entry
		err := d.Next(&e)
		if err == io.EOF {
			break
		}
		if err == nil && e.Counted() && !r.reserve() {
			err = errQueueFull
		}
		if err != nil {
			r.release(len(p.recs))
			return nil, err
		}
		if !e.Counted() {
			ignored++
			continue
		}
		p.recs = append(p.recs, e.Record())
	}
	r.received.Add(int64(len(p.recs)) + ignored)
	r.ignored.Add(ignored)
	return p, nil
}

// reserve takes one place in the queue, if there is one.
func (r *Receiver) reserve() bool {
	if r.held.Add(1) > int64(r.cfg.QueueSize) {
		r.held.Add(-1)
		return false
	}
	return true
}

func (r *Receiver) release(n int) { r.held.Add(-int64(n)) }

func (r *Receiver) isClosing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closing
}

// enqueue hands p to the writer; false once the receiver is closing.
func (r *Receiver) enqueue(p *post) bool {
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return false
	}
	r.queue = append(r.queue, p)
	r.mu.Unlock()
	r.signal()
	return true
}

func (r *Receiver) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run is the writer: it stores the queue in batches until the receiver
// is closed and the queue is empty, and prunes the store now and then.
func (r *Receiver) run() {
	defer close(r.stopped)
	prune := time.NewTicker(r.cfg.PruneEvery)
	defer prune.Stop()
	r.prune()
	for {
		r.mu.Lock()
		n, size := 0, 0
		for n < len(r.queue) && (n == 0 || size+len(r.queue[n].recs) <= r.cfg.MaxBatch) {
			size += len(r.queue[n].recs)
			n++
		}
		batch := make([]*post, n)
		copy(batch, r.queue)
		r.queue = append(r.queue[:0], r.queue[n:]...)
		closing := r.closing
		r.mu.Unlock()
		if n == 0 {
			if closing {
				return
			}
			select {
			case <-r.wake:
			case <-prune.C:
				r.prune()
			}
			continue
		}
		if !r.flush(batch, size) {
			// A failing store (full disk, a lock held for long): pause
			// rather than spin; the failed posts are answered 503.
			select {
			case <-time.After(time.Second):
			case <-r.wake:
			}
		}
	}
}

// flush stores the requests of batch in one transaction and answers its
// posts. It reports whether the store succeeded.
func (r *Receiver) flush(batch []*post, size int) bool {
	recs := make([]domain.TrafficRecord, 0, size)
	for _, p := range batch {
		recs = append(recs, p.recs...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StoreTimeout)
	start := time.Now()
	dups, err := r.cfg.Store.Record(ctx, recs)
	cancel()
	r.release(size)
	if err != nil {
		r.cfg.Log.Error("storing traffic failed; MinIO will send the batches again", "requests", size, "posts", len(batch),
			"code", domain.ErrorCode(err), "error", domain.ErrorMessage(err))
	} else {
		r.stored.Add(int64(size - dups))
		r.duplicates.Add(int64(dups))
		r.cfg.Log.Debug("traffic stored", "requests", size, "duplicates", dups, "posts", len(batch), "took", time.Since(start).String())
	}
	for _, p := range batch {
		p.failed = err != nil
		close(p.done)
	}
	return err == nil
}

func (r *Receiver) prune() {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.StoreTimeout)
	defer cancel()
	n, err := r.cfg.Store.Prune(ctx)
	if err != nil {
		r.cfg.Log.Error("pruning traffic keys failed", "code", domain.ErrorCode(err), "error", domain.ErrorMessage(err))
	} else if n > 0 {
		r.cfg.Log.Info("traffic keys pruned", "keys", n)
	}
}

// Close stops accepting POSTs (they are answered 503, so MinIO keeps
// them), stores what is queued and stops the writer. It returns ctx's
// error if that takes longer than ctx allows; what is left is not lost:
// MinIO sends it again.
func (r *Receiver) Close(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.signal()
	select {
	case <-r.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
