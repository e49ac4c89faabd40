package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// DataUsage is the deployment-wide usage from MinIO's background scanner.
// It lags writes (seconds to minutes, more on busy servers) and is all
// zero, with a zero LastUpdate, until the first scan completes.
type DataUsage struct {
	LastUpdate        time.Time
	ObjectsTotalCount uint64
	ObjectsTotalSize  uint64 // bytes, noncurrent versions included
	VersionsCount     uint64
	BucketsCount      uint64
	BucketsUsage      map[string]BucketUsage
}

// BucketUsage is one bucket's scanner figures.
type BucketUsage struct {
	Size               uint64 // bytes, noncurrent versions included
	ObjectsCount       uint64
	VersionsCount      uint64
	DeleteMarkersCount uint64
}

// DataUsageInfo returns the scanner's latest usage figures for all buckets.
func (c *Client) DataUsageInfo(ctx context.Context) (DataUsage, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "datausageinfo", resendable: true})
	if err != nil {
		return DataUsage{}, err
	}
	var w struct {
		LastUpdate       time.Time `json:"lastUpdate"`
		ObjectsCount     uint64    `json:"objectsCount"`
		ObjectsTotalSize uint64    `json:"objectsTotalSize"`
		VersionsCount    uint64    `json:"versionsCount"`
		BucketsCount     uint64    `json:"bucketsCount"`
		BucketsUsage     map[string]struct {
			Size               uint64 `json:"size"`
			ObjectsCount       uint64 `json:"objectsCount"`
			VersionsCount      uint64 `json:"versionsCount"`
			DeleteMarkersCount uint64 `json:"deleteMarkersCount"`
		} `json:"bucketsUsageInfo"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return DataUsage{}, fmt.Errorf("minioadmin: datausageinfo: decode answer: %w", err)
	}
	u := DataUsage{LastUpdate: w.LastUpdate, ObjectsTotalCount: w.ObjectsCount,
		ObjectsTotalSize: w.ObjectsTotalSize, VersionsCount: w.VersionsCount,
		BucketsCount: w.BucketsCount, BucketsUsage: make(map[string]BucketUsage, len(w.BucketsUsage))}
	for name, b := range w.BucketsUsage {
		u.BucketsUsage[name] = BucketUsage(b)
	}
	return u, nil
}

// AccountInfo is what the signing credential may see of itself: its name,
// effective policy and the buckets it can reach with their scanner usage.
type AccountInfo struct {
	AccountName string
	Policy      json.RawMessage
	Buckets     []AccountBucket
}

// AccountBucket is one bucket in AccountInfo.
type AccountBucket struct {
	Name    string
	Size    uint64 // bytes, from the scanner
	Objects uint64
	Created time.Time
	Read    bool // the account may read from it
	Write   bool // the account may write to it
}

// AccountInfo returns the signing credential's own view. MinIO caches the
// usage figures for about ten seconds on top of the scanner's lag.
func (c *Client) AccountInfo(ctx context.Context) (AccountInfo, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "accountinfo", resendable: true})
	if err != nil {
		return AccountInfo{}, err
	}
	var w struct {
		AccountName string          `json:"AccountName"`
		Policy      json.RawMessage `json:"Policy"`
		Buckets     []struct {
			Name    string    `json:"name"`
			Size    uint64    `json:"size"`
			Objects uint64    `json:"objects"`
			Created time.Time `json:"created"`
			Access  struct {
				Read  bool `json:"read"`
				Write bool `json:"write"`
			} `json:"access"`
		} `json:"Buckets"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return AccountInfo{}, fmt.Errorf("minioadmin: accountinfo: decode answer: %w", err)
	}
	a := AccountInfo{AccountName: w.AccountName, Policy: w.Policy}
	for _, b := range w.Buckets {
		a.Buckets = append(a.Buckets, AccountBucket{Name: b.Name, Size: b.Size, Objects: b.Objects,
			Created: b.Created, Read: b.Access.Read, Write: b.Access.Write})
	}
	return a, nil
}
