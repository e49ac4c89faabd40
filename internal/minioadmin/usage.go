package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// DataUsageInfo returns the scanner's latest usage figures for all buckets.
// It lags writes (seconds to minutes, more on busy servers) and is all
// zero, with a zero LastUpdate, until the first scan completes.
func (c *Client) DataUsageInfo(ctx context.Context) (domain.DataUsage, error) {
	const doing = "read data usage"
	body, err := c.do(ctx, request{method: http.MethodGet, op: "datausageinfo", resendable: true})
	if err != nil {
		return domain.DataUsage{}, translate(err, doing)
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
		return domain.DataUsage{}, translate(fmt.Errorf("minioadmin: datausageinfo: decode answer: %w", err), doing)
	}
	u := domain.DataUsage{LastUpdate: w.LastUpdate, ObjectsTotalCount: w.ObjectsCount,
		ObjectsTotalSize: w.ObjectsTotalSize, VersionsCount: w.VersionsCount,
		BucketsCount: w.BucketsCount, BucketsUsage: make(map[string]domain.BucketUsage, len(w.BucketsUsage))}
	for name, b := range w.BucketsUsage {
		u.BucketsUsage[name] = domain.BucketUsage(b)
	}
	return u, nil
}
