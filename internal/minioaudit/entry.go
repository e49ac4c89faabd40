// Package minioaudit receives MinIO's audit webhook: the wire format of
// an audit entry, a strict decoder for the bodies MinIO posts, and an HTTP
// receiver that hands each request's traffic to a store and answers MinIO
// only once it is stored. See docs/traffic-notes.md for what MinIO sends
// and how it retries.
package minioaudit

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// EntryVersion is the audit entry format this package reads (MinIO's
// "version" field). Another version is refused rather than misread.
const EntryVersion = "1"

// TriggerIncoming marks an entry written for an S3 or admin request that
// reached MinIO over HTTP. Entries of MinIO's own work (the scanner,
// lifecycle expiry, healing, replication) carry other triggers, no
// request and no bytes; they are not traffic.
const TriggerIncoming = "incoming"

// Entry is the part of one MinIO audit entry that metering reads. MinIO
// sends much more (request and response headers, query, claims, timings);
// the decoder checks that it is valid JSON and skips it.
type Entry struct {
	Version      string    // "version"
	DeploymentID string    // "deploymentid"
	Time         time.Time // "time": when the request ended (MinIO's clock, UTC)
	Trigger      string    // "trigger"
	API          API       // "api"
	RequestID    string    // "requestID": x-amz-request-id, the hex of a nanosecond clock
	AccessKey    string    // "accessKey": the key that signed the request; "" if anonymous
	ParentUser   string    // "parentUser": the user owning AccessKey when it is a service account
	Node         string    // "responseHeader"."X-Amz-Id-2": which node of the cluster answered
}

// API is the "api" object of an audit entry.
type API struct {
	Name       string // "name": the S3 operation, e.g. GetObject
	Bucket     string // "bucket"; "" for requests on no bucket
	Object     string // "object"
	StatusCode int    // "statusCode"
	// RX ("rx") is the request's Content-Length: the body as the client
	// sent it (for aws-chunked uploads with the chunk signatures), no
	// headers; -1 when the request had no length (chunked transfer
	// encoding), and the declared length even when MinIO refused the
	// request before reading its body.
	RX int64
	// TX ("tx") is the response body bytes MinIO's handler wrote, no
	// headers; -1 when unknown.
	TX int64
	// TxHeaders ("txHeaders") is MinIO's estimate of the response
	// headers: a "%d %s\n" status line and "Key: first value\n" for each
	// header set before the handler wrote the status, without the headers
	// Go's server adds (Date, Content-Length when implicit).
	TxHeaders int64
}

// Counted reports whether the entry is a request's traffic.
func (e *Entry) Counted() bool { return e.Trigger == TriggerIncoming }

// Record returns the entry as metered traffic: unknown byte counts (-1)
// count as 0.
func (e *Entry) Record() domain.TrafficRecord {
	return domain.TrafficRecord{
		Key:        e.Key(),
		At:         e.Time,
		Bucket:     e.API.Bucket,
		AccessKey:  e.AccessKey,
		ParentUser: e.ParentUser,
		StatusCode: e.API.StatusCode,
		Ingress:    max(e.API.RX, 0),
		Egress:     max(e.API.TX, 0),
		Headers:    max(e.API.TxHeaders, 0),
	}
}

// Key identifies the request across redeliveries: MinIO sends a stored
// batch again byte for byte, so every field is the same. The request id
// alone is not enough: it is a nanosecond clock reading per node, so two
// nodes (or two requests in the same nanosecond) can share one. The key
// is the first 8 bytes of a SHA-256 over length-prefixed fields, so no two
// field lists run into the same input.
func (e *Entry) Key() uint64 {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(v int64) {
		binary.BigEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	put(e.DeploymentID)
	put(e.Node)
	put(e.RequestID)
	num(e.Time.UnixNano())
	put(e.API.Name)
	put(e.API.Bucket)
	put(e.API.Object)
	num(int64(e.API.StatusCode))
	num(e.API.RX)
	num(e.API.TX)
	num(e.API.TxHeaders)
	put(e.AccessKey)
	put(e.ParentUser)
	return binary.BigEndian.Uint64(h.Sum(nil))
}
