package rgwadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// UsageQuery selects part of RGW's usage log. RGW keeps one entry per
// owner, bucket and hour; Start and End select the entries whose hour
// begins in [Start, End).
type UsageQuery struct {
	UID   string    // "" reads every user
	Start time.Time // zero: from the beginning
	End   time.Time // zero: no end
	// SkipEntries leaves out the per-bucket, per-hour entries and
	// SkipSummary the per-user totals. RGW reads the same log either way.
	SkipEntries bool
	SkipSummary bool
}

// Usage is an answer from the usage log.
type Usage struct {
	Entries []UsageEntry // per owner, bucket and hour
	Summary []UserUsage  // per owner, over the selected hours
}

// UsageEntry is one bucket's traffic in one hour. It is charged to the
// bucket's owner, whoever sent the requests, refused ones included.
type UsageEntry struct {
	Owner      string    // uid
	Bucket     string    // "" for requests outside a bucket (listing buckets)
	Hour       time.Time // the start of the hour, UTC
	Categories []CategoryUsage
}

// UserUsage is one owner's traffic over the selected hours.
type UserUsage struct {
	User       string
	Categories []CategoryUsage
	Total      Counters
}

// CategoryUsage is the traffic of one kind of request: "put_obj",
// "get_obj", "list_bucket", "create_bucket", ...
type CategoryUsage struct {
	Category string
	Counters
}

// Counters are RGW's usage figures.
type Counters struct {
	BytesSent     uint64 // to the client (downloads, listings, error bodies)
	BytesReceived uint64 // from the client (uploads)
	Ops           uint64 // requests, failed ones included
	SuccessfulOps uint64
}

// Add returns the sum of c and o.
func (c Counters) Add(o Counters) Counters {
	return Counters{c.BytesSent + o.BytesSent, c.BytesReceived + o.BytesReceived,
		c.Ops + o.Ops, c.SuccessfulOps + o.SuccessfulOps}
}

// Total sums the entry's categories.
func (e UsageEntry) Total() Counters {
	var t Counters
	for _, c := range e.Categories {
		t = t.Add(c.Counters)
	}
	return t
}

type countersWire struct {
	BytesSent     uint64 `json:"bytes_sent"`
	BytesReceived uint64 `json:"bytes_received"`
	Ops           uint64 `json:"ops"`
	SuccessfulOps uint64 `json:"successful_ops"`
}

type categoryWire struct {
	Category string `json:"category"`
	countersWire
}

func categories(ws []categoryWire) []CategoryUsage {
	out := make([]CategoryUsage, len(ws))
	for i, w := range ws {
		out[i] = CategoryUsage{Category: w.Category, Counters: Counters(w.countersWire)}
	}
	return out
}

// usageTime formats a time as RGW parses it ("YYYY-MM-DD HH:MM:SS", UTC).
// RGW ignores a value it cannot parse and then reads the whole log.
func usageTime(t time.Time) string {
	return t.UTC().Format(time.DateTime)
}

// usageRange adds the range [start, end) to q. Entries are stamped with
// the start of their hour. RGW means start to be inclusive, but with a uid
// it looks keys up strictly after "uid_START_", which is the exact key of
// the hour's entry for requests outside any bucket (list_buckets): given
// 10:00:00 it drops that entry and keeps the hour's others (seen on
// 16.2.15, and so in cls_rgw's code). An hour-aligned start therefore goes
// one second earlier, which takes in no other hour. End is exclusive.
func usageRange(q url.Values, start, end time.Time) {
	if !start.IsZero() {
		if rounded := start.Truncate(time.Second); rounded.Before(start) {
			start = rounded.Add(time.Second) // no entry begins inside a second
		}
		if start.Unix()%3600 == 0 && start.Unix() > 0 {
			start = start.Add(-time.Second)
		}
		q.Set("start", usageTime(start))
	}
	if !end.IsZero() {
		q.Set("end", usageTime(end))
	}
}

// Usage reads the usage log. The whole selection comes back in one answer;
// a user with no traffic, or a uid that does not exist, gives an empty
// one, not an error.
func (c *Client) Usage(ctx context.Context, uq UsageQuery) (Usage, error) {
	q := url.Values{"show-entries": {fmt.Sprint(!uq.SkipEntries)}, "show-summary": {fmt.Sprint(!uq.SkipSummary)}}
	if uq.UID != "" {
		q.Set("uid", uq.UID)
	}
	usageRange(q, uq.Start, uq.End)
	body, err := c.do(ctx, request{method: http.MethodGet, resource: "usage", op: "usage",
		query: q, resendable: true})
	if err != nil {
		return Usage{}, err
	}
	var w struct {
		Entries []struct {
			User    string `json:"user"`
			Buckets []struct {
				Bucket     string         `json:"bucket"`
				Owner      string         `json:"owner"`
				Epoch      int64          `json:"epoch"`
				Categories []categoryWire `json:"categories"`
			} `json:"buckets"`
		} `json:"entries"`
		Summary []struct {
			User       string         `json:"user"`
			Categories []categoryWire `json:"categories"`
			Total      countersWire   `json:"total"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return Usage{}, fmt.Errorf("rgwadmin: usage: decode answer: %w", err)
	}
	var u Usage
	for _, e := range w.Entries {
		for _, b := range e.Buckets {
			u.Entries = append(u.Entries, UsageEntry{Owner: b.Owner, Bucket: b.Bucket,
				Hour: time.Unix(b.Epoch, 0).UTC(), Categories: categories(b.Categories)})
		}
	}
	for _, s := range w.Summary {
		u.Summary = append(u.Summary, UserUsage{User: s.User, Categories: categories(s.Categories),
			Total: Counters(s.Total)})
	}
	return u, nil
}

// UsageTrim selects usage log entries to delete: those whose hour begins
// in [Start, End), as in UsageQuery.
type UsageTrim struct {
	UID   string    // whose entries; "" needs AllUsers
	Start time.Time // zero: from the beginning
	End   time.Time // zero: no end
	// AllUsers must be set to trim every user's entries, so that a
	// forgotten UID cannot erase the whole log.
	AllUsers bool
}

// TrimUsage deletes usage log entries. Trimming what is already gone is
// not an error.
func (c *Client) TrimUsage(ctx context.Context, t UsageTrim) error {
	q := url.Values{}
	switch {
	case t.UID != "" && t.AllUsers:
		return errors.New("rgwadmin: trim-usage: a uid and AllUsers together")
	case t.UID != "":
		q.Set("uid", t.UID)
	case t.AllUsers:
		q.Set("remove-all", "true")
	default:
		return errors.New("rgwadmin: trim-usage: no uid; set AllUsers to trim every user's usage")
	}
	usageRange(q, t.Start, t.End)
	_, err := c.do(ctx, request{method: http.MethodDelete, resource: "usage", op: "trim-usage",
		query: q, resendable: true})
	return err
}
