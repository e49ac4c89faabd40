package minioadmin

import (
	"context"
	"net/http"

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
	u, err := decodeDataUsage(body)
	if err != nil {
		return domain.DataUsage{}, translate(err, doing)
	}
	return u, nil
}
