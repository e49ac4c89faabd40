package account

import (
	"context"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// UsageService is one service of a server-wide usage update.
type UsageService struct {
	ID       int64          `json:"id"`
	ClientID int64          `json:"clientId"`
	Username string         `json:"username"`
	Status   string         `json:"status"`
	Product  domain.Product `json:"product"`
}

// UsageReport is the verdict on one service: figures for WHMCS's
// diskusage/disklimit columns (MB), the state, the policy now in force and
// the emails due.
type UsageReport struct {
	ID          int64              `json:"id"`
	Username    string             `json:"username"`
	UsedBytes   int64              `json:"usedBytes"`
	UsedMB      int64              `json:"usedMB"`
	LimitMB     int64              `json:"limitMB"`
	Percent     float64            `json:"percent"`
	Objects     int64              `json:"objects"`
	Buckets     int                `json:"buckets"`
	State       domain.UsageState  `json:"state"`
	PolicyState domain.PolicyState `json:"policyState"`
	Forced      domain.PolicyState `json:"forced,omitempty"`
	Notices     []domain.Notice    `json:"notices"`
	Error       *ReportError       `json:"error,omitempty"`
}

// ReportError is a per-service failure inside an otherwise successful update.
type ReportError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// UsageResult answers a usage update.
type UsageResult struct {
	LastUpdate time.Time     `json:"lastUpdate"` // how fresh MinIO's scanner figures are
	Source     string        `json:"source"`     // scanner or exact
	Services   []UsageReport `json:"services"`
}

// measure holds one service's totals while attributing buckets.
type measure struct {
	bytes, objects, versions int64
	buckets                  int
}

// UpdateUsage measures every listed service, decides warnings and policies,
// switches the policies that must change and records all samples in one
// transaction. In scanner mode MinIO's usage is read once for the whole
// server; services whose product asks for exact figures (or all of them,
// when exact is set) are measured by listing their buckets.
func (m *Manager) UpdateUsage(ctx context.Context, services []UsageService, exact bool) (UsageResult, error) {
	now := m.now().UTC()
	res := UsageResult{Source: domain.UsageScanner, Services: make([]UsageReport, 0, len(services))}
	if exact {
		res.Source = domain.UsageExact
	}
	byUser := make(map[string]int, len(services))
	needExact := false
	for i := range services {
		s := &services[i]
		services[i].Username = strings.TrimSpace(s.Username)
		r := UsageReport{ID: s.ID, Username: s.Username, Notices: []domain.Notice{}}
		if err := s.Product.Normalize(); err != nil {
			r.Error = reportError(err)
		} else if err := domain.ValidateExistingUsername(s.Username); err != nil {
			r.Error = reportError(err)
		} else {
			byUser[s.Username] = i
			if exact || s.Product.UsageMode == domain.UsageExact {
				needExact = true
			}
		}
		res.Services = append(res.Services, r)
	}
	totals := make([]measure, len(services))
	scanner := !exact
	if scanner {
		du, err := m.Admin.DataUsageInfo(ctx)
		if err != nil {
			return res, translate(err, "read data usage")
		}
		res.LastUpdate = du.LastUpdate
		for bucket, bu := range du.BucketsUsage {
			if i, ok := owner(byUser, bucket); ok {
				totals[i].bytes += int64(bu.Size)
				totals[i].objects += int64(bu.ObjectsCount)
				totals[i].versions += int64(bu.VersionsCount)
				totals[i].buckets++
			}
		}
	}
	if needExact {
		all, err := m.S3.ListBuckets(ctx)
		if err != nil {
			return res, err
		}
		seen := map[int]bool{}
		for _, b := range all {
			i, ok := owner(byUser, b.Name)
			if !ok || !(exact || services[i].Product.UsageMode == domain.UsageExact) {
				continue
			}
			if !seen[i] {
				seen[i] = true
				totals[i] = measure{}
			}
			b := b
			if err := m.S3.Measure(ctx, &b); err != nil {
				res.Services[i].Error = reportError(err)
				continue
			}
			totals[i].bytes += b.Bytes
			totals[i].objects += b.Objects
			totals[i].versions += b.Versions
			totals[i].buckets++
		}
		if exact {
			res.LastUpdate = now
		}
	}
	recs, err := m.Store.AccountsByServer(ctx, m.ServerID)
	if err != nil {
		return res, err
	}
	known := make(map[int64]sqlite.Account, len(recs))
	for _, r := range recs {
		known[r.ServiceID] = r
	}
	// Services this server has not recorded yet (a first run, or after an
	// upgrade) are recorded together, in one transaction.
	var fresh []sqlite.Account
	for i := range services {
		s := &services[i]
		if res.Services[i].Error != nil {
			continue
		}
		if rec, ok := known[s.ID]; !ok || rec.Username != s.Username {
			rec = sqlite.Account{ServerID: m.ServerID, ServiceID: s.ID, Username: s.Username, Group: s.Product.Group, CreatedAt: now}
			known[s.ID] = rec
			fresh = append(fresh, rec)
		}
	}
	if err := m.Store.SaveAccounts(ctx, fresh); err != nil {
		return res, err
	}
	samples := make([]sqlite.Sample, 0, len(byUser))
	states := make(map[int64]domain.AccountState, len(byUser))
	retention := make(map[int64]int, len(byUser))
	for i := range services {
		s, r := &services[i], &res.Services[i]
		if r.Error != nil {
			continue
		}
		rec := known[s.ID]
		t := totals[i]
		ev := domain.Evaluate(&s.Product, s.Username, t.bytes, rec.State)
		if ev.NeedsPolicyChange() {
			// Plain calls only: attaching is an encrypted call (an Argon2id
			// on the server each time), and create attached the policy.
			if err := m.SetPolicyDocument(ctx, s.Username, &s.Product, ev.WantPolicy, false); err != nil {
				r.Error = reportError(err)
			} else {
				ev.Next.Policy = ev.WantPolicy
				m.log().Info("policy switched", "service", s.ID, "user", s.Username, "policy", ev.WantPolicy, "usedBytes", t.bytes)
			}
		}
		r.UsedBytes, r.UsedMB, r.LimitMB, r.Percent = t.bytes, domain.ToMB(t.bytes), domain.ToMB(ev.LimitBytes), ev.Percent
		r.Objects, r.Buckets = t.objects, t.buckets
		r.State, r.PolicyState, r.Forced, r.Notices = ev.State, ev.Next.Policy, ev.Next.Forced, nonNilNotices(ev.Notices)
		source := domain.UsageScanner
		if exact || s.Product.UsageMode == domain.UsageExact {
			source = domain.UsageExact
		}
		samples = append(samples, sqlite.Sample{ServiceID: s.ID, At: now, Bytes: t.bytes, Objects: t.objects, Versions: t.versions, Source: source})
		states[s.ID] = ev.Next
		retention[s.ID] = s.Product.HistoryDays
	}
	if err := m.Store.RecordCollection(ctx, m.ServerID, samples, states, retention); err != nil {
		return res, err
	}
	return res, nil
}

// MeasureExact lists one account's buckets and returns them measured.
func (m *Manager) MeasureExact(ctx context.Context, user string) ([]s3.Bucket, error) {
	bs, err := m.S3.BucketsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if err := m.S3.Measure(ctx, &bs[i]); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

// owner finds the user whose namespace holds bucket: the bucket name itself,
// or the part before one of its hyphens. Namespaces never overlap, so at
// most one user matches.
func owner(byUser map[string]int, bucket string) (int, bool) {
	if i, ok := byUser[bucket]; ok {
		return i, true
	}
	for k := len(bucket) - 1; k > 0; k-- {
		if bucket[k] == '-' {
			if i, ok := byUser[bucket[:k]]; ok {
				return i, true
			}
		}
	}
	return 0, false
}

func reportError(err error) *ReportError {
	return &ReportError{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)}
}

func nonNilNotices(n []domain.Notice) []domain.Notice {
	if n == nil {
		return []domain.Notice{}
	}
	return n
}
