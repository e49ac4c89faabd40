package domain

import (
	"net/http"
	"time"
)

// Unattributed is the service that traffic belonging to no WHMCS service is
// counted under, so that the totals of a server still add up: the
// provider's own requests, anonymous requests refused by a tenant's bucket,
// buckets outside every tenant's namespace, and anything ambiguous.
const Unattributed int64 = 0

// TrafficRecord is one S3 request as metered: who made it, on which bucket,
// and its bytes. Key identifies the request across redeliveries of the same
// record (equal keys are the same request); At is when it ended.
type TrafficRecord struct {
	Key        uint64
	At         time.Time
	Bucket     string // "" for a request on no bucket (ListBuckets, STS, admin)
	AccessKey  string // the key that signed it; "" for an anonymous request
	ParentUser string // the user owning AccessKey when it is an access key (service account)
	StatusCode int
	Ingress    int64 // request body bytes
	Egress     int64 // response body bytes
	Headers    int64 // response header bytes, as MinIO estimates them
}

// Traffic is a sum of metered requests.
type Traffic struct {
	Ingress  int64 `json:"ingress"`  // request body bytes
	Egress   int64 `json:"egress"`   // response body bytes: the billed figure
	Headers  int64 `json:"headers"`  // response header bytes (MinIO's estimate; not billed)
	Requests int64 `json:"requests"` // requests, failed ones included
}

// Add adds o to t.
func (t *Traffic) Add(o Traffic) {
	t.Ingress += o.Ingress
	t.Egress += o.Egress
	t.Headers += o.Headers
	t.Requests += o.Requests
}

// ServicesOf returns the WHMCS services of one server whose MinIO user is
// user. One service is the rule; none means the user is not a tenant (the
// root user, an admin key, a user made outside WHMCS); more than one means
// the store holds a conflict, which attribution must not guess at.
type ServicesOf func(user string) []int64

// AttributeTraffic returns the service a request's traffic is billed to,
// or Unattributed. It never guesses: a request goes to a tenant only when a
// single service is sure to be the right one.
//
// A request on a bucket is billed to the bucket's owner (the user whose
// namespace holds it, see OwnsBucket), as S3 bills the bucket owner:
// requests made with the owner's keys, anonymous requests the owner's
// bucket policy lets through, and another tenant's requests the owner's
// bucket policy allowed. Two kinds are not the owner's:
//   - a request refused with 403 made by anyone but the owner: the owner
//     did not allow it, so it is billed to the requester when that is a
//     tenant and is unattributed otherwise (as S3 no longer bills owners
//     for refused requests from outside their account);
//   - a request signed by a user who is not a tenant (the root user,
//     puqminio's own admin key, the exact usage scan): the provider's own
//     traffic, unattributed.
//
// A request on no bucket, or on a bucket in no tenant's namespace, is
// billed to the requester when that is a tenant. The requester of an access
// key (service account) is its parent user.
func AttributeTraffic(r TrafficRecord, services ServicesOf) int64 {
	requester := r.ParentUser
	if requester == "" {
		requester = r.AccessKey
	}
	var byRequester int64 = Unattributed
	if requester != "" {
		if ids := services(requester); len(ids) == 1 {
			byRequester = ids[0]
		}
	}
	if r.Bucket == "" {
		return byRequester
	}
	owner, found, ambiguous := bucketOwner(r.Bucket, services)
	switch {
	case ambiguous:
		return Unattributed
	case !found:
		return byRequester
	case requester == "":
		if r.StatusCode == http.StatusForbidden {
			return Unattributed
		}
		return owner
	case byRequester == owner:
		return owner
	case r.StatusCode == http.StatusForbidden:
		return byRequester
	case byRequester != Unattributed:
		return owner
	}
	return Unattributed
}

// bucketOwner finds the service whose user's namespace holds bucket: the
// user named bucket or any prefix of it that ends before a hyphen. found
// is false when no tenant's namespace holds it; ambiguous is true when
// more than one service could own it (overlapping names that predate the
// overlap check, or a user name recorded twice).
func bucketOwner(bucket string, services ServicesOf) (owner int64, found, ambiguous bool) {
	check := func(user string) {
		for _, id := range services(user) {
			if found && id != owner {
				ambiguous = true
			}
			owner, found = id, true
		}
	}
	check(bucket)
	for k := len(bucket) - 1; k > 0; k-- {
		if bucket[k] == '-' {
			check(bucket[:k])
		}
	}
	if ambiguous {
		return Unattributed, true, true
	}
	return owner, found, false
}
