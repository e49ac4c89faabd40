package account

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// UsageService is one service of a server-wide usage update.
type UsageService struct {
	ID       int64  `json:"id"`
	ClientID int64  `json:"clientId"`
	Username string `json:"username"`
	Status   string `json:"status"`
	// Product is the service's product. Services of one product may share
	// one value: it is normalized once for all of them.
	Product *domain.Product `json:"product"`
}

// UsageOptions say how a usage update measures.
type UsageOptions struct {
	// Exact lists every object version of every service instead of
	// reading the server's scanner figures (products may also ask for it).
	Exact bool
	// OnlyIfDue measures nothing unless a service is due under its
	// product's re-check interval (the after-cron re-check); when one is,
	// the whole server is measured, since that costs one request.
	OnlyIfDue bool
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
	// Traffic is the month's traffic so far, for a product that measures
	// it.
	Traffic *TrafficReport `json:"traffic,omitempty"`
	Error   *ReportError   `json:"error,omitempty"`
}

// TrafficReport is a service's metered traffic in the UTC month so far,
// with the figures WHMCS's bandwidth columns take (bwusage and bwlimit, in
// MB: egress, the billed direction, and the product's egress allowance).
type TrafficReport struct {
	Period       string  `json:"period"` // the month, "2026-11"
	IngressBytes int64   `json:"ingressBytes"`
	EgressBytes  int64   `json:"egressBytes"`
	Requests     int64   `json:"requests"`
	EgressMB     int64   `json:"egressMB"`
	AllowanceMB  int64   `json:"allowanceMB"` // 0: no allowance
	Percent      float64 `json:"percent"`     // egress in percent of the allowance, two decimals
}

// newTrafficReport is the report of an egress evaluation.
func newTrafficReport(e domain.EgressEvaluation) *TrafficReport {
	return &TrafficReport{Period: domain.Period(e.Month), IngressBytes: e.Traffic.Ingress, EgressBytes: e.Traffic.Egress,
		Requests: e.Traffic.Requests, EgressMB: domain.ToMB(e.Traffic.Egress), AllowanceMB: domain.ToMB(e.AllowanceBytes),
		Percent: math.Round(e.Percent*100) / 100}
}

// monthEgress judges a service's traffic in the month holding now against
// its product's egress allowance (domain.EvaluateEgress). A product that
// does not measure traffic reads nothing and re-arms the warning.
func monthEgress(ctx context.Context, st Store, p *domain.Product, serviceID int64, user string, now time.Time, prev domain.AccountState) (domain.EgressEvaluation, error) {
	var t domain.Traffic
	if p.Traffic {
		month := domain.MonthStart(now)
		var err error
		if t, err = st.TrafficTotal(ctx, serviceID, month, month.AddDate(0, 1, 0)); err != nil {
			return domain.EgressEvaluation{}, err
		}
	}
	return domain.EvaluateEgress(p, user, t, now, prev), nil
}

// ReportError is a per-service failure inside an otherwise successful update.
type ReportError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// UsageResult answers a usage update.
type UsageResult struct {
	LastUpdate time.Time     `json:"lastUpdate"` // how fresh the server's figures are
	Source     string        `json:"source"`     // scanner or exact
	Skipped    bool          `json:"skipped,omitempty"`
	Services   []UsageReport `json:"services"`
	// TrafficError says why the traffic of an RGW server's usage log was
	// not counted (or not trimmed) by this run; the rest of the run went
	// on, and the next one reads the same hours.
	TrafficError *ReportError `json:"trafficError,omitempty"`
}

// measure holds one service's totals while attributing buckets.
type measure struct {
	bytes, objects, versions int64
	buckets                  int
	list                     []domain.Bucket // each bucket's figures, for the pages
}

// add counts one bucket in.
func (t *measure) add(b domain.Bucket) {
	t.bytes += b.Bytes
	t.objects += b.Objects
	t.versions += b.Versions
	t.buckets++
	t.list = append(t.list, b)
}

// products normalizes each product of a run once, however many services
// share it, and keeps its policy signatures: at 50,000 services the
// checks of one policy template per service would cost seconds.
type products struct {
	err  map[*domain.Product]error
	sigs map[productState]string
}

type productState struct {
	p     *domain.Product
	state domain.PolicyState
}

func (ps *products) normalize(p *domain.Product) error {
	if p == nil {
		return domain.Errorf(domain.EMISSING, "the service has no product")
	}
	if err, ok := ps.err[p]; ok {
		return err
	}
	err := p.Normalize()
	ps.err[p] = err
	return err
}

func (ps *products) signature(p *domain.Product, state domain.PolicyState) string {
	k := productState{p, state}
	sig, ok := ps.sigs[k]
	if !ok {
		sig = p.PolicySignature(state)
		ps.sigs[k] = sig
	}
	return sig
}

// UpdateUsage measures every listed service, decides warnings and policies,
// switches the policies that must change and records all samples in one
// transaction. In scanner mode the server's usage is read once for the
// whole server; services whose product asks for exact figures (or all of
// them, with opts.Exact) are measured by listing their buckets.
//
// A service listed twice, by id or by user name, is ambiguous (whose
// product decides the user's policy?): its entries get an error and are
// left alone, and the rest of the run goes on. The reports come in the
// order of services.
func (m *Manager) UpdateUsage(ctx context.Context, services []UsageService, opts UsageOptions) (UsageResult, error) {
	now := m.now().UTC()
	res := UsageResult{Source: domain.UsageScanner, Services: make([]UsageReport, 0, len(services))}
	if opts.Exact {
		res.Source = domain.UsageExact
	}
	dups := duplicateServices(services)
	prods := products{err: map[*domain.Product]error{}, sigs: map[productState]string{}}
	byUser := make(map[string]int, len(services))
	needExact := false
	for i := range services {
		s := &services[i]
		s.Username = strings.TrimSpace(s.Username)
		r := UsageReport{ID: s.ID, Username: s.Username, Notices: []domain.Notice{}}
		switch {
		case dups[i] != nil:
			r.Error = dups[i]
		case s.ID <= 0:
			r.Error = &ReportError{Code: domain.EINVALID, Message: fmt.Sprintf("params.services[%d].id must be a positive whole number", i)}
		default:
			if err := prods.normalize(s.Product); err != nil {
				r.Error = reportError(err)
			} else if err := domain.ValidateExistingUsername(s.Username); err != nil {
				r.Error = reportError(err)
			} else {
				byUser[s.Username] = i
				if opts.Exact || s.Product.UsageMode == domain.UsageExact {
					needExact = true
				}
			}
		}
		res.Services = append(res.Services, r)
	}
	if len(byUser) == 0 {
		// Nothing to measure: every entry was refused, so nothing is
		// touched (a refused Recalculate leaves no database behind).
		return res, nil
	}
	st, err := m.store()
	if err != nil {
		return res, err
	}
	recs, err := st.AccountsByServer(ctx, m.ServerID)
	if err != nil {
		return res, err
	}
	known := make(map[int64]domain.Account, len(recs))
	for _, r := range recs {
		known[r.ServiceID] = r
	}
	if opts.OnlyIfDue && !anyDue(services, res.Services, known, now) {
		return UsageResult{Source: res.Source, Skipped: true, Services: []UsageReport{}}, nil
	}
	totals := make([]measure, len(services))
	if m.onRGW() {
		// RGW's bucket indexes are exact and read in one call for all.
		got, at, err := m.rgwMeasure(ctx, services, byUser, opts.Exact && len(byUser) == 1)
		if err != nil {
			return res, err
		}
		for i, bs := range got {
			for _, b := range bs {
				totals[i].add(b)
			}
		}
		res.Source, res.LastUpdate = domain.UsageExact, at
		needExact = false
	} else if !opts.Exact {
		du, err := m.Admin.DataUsageInfo(ctx)
		if err != nil {
			return res, err
		}
		res.LastUpdate = du.LastUpdate
		for bucket, bu := range du.BucketsUsage {
			if i, ok := owner(byUser, bucket); ok {
				totals[i].add(domain.Bucket{Name: bucket, Bytes: int64(bu.Size), Objects: int64(bu.ObjectsCount), Versions: int64(bu.VersionsCount)})
			}
		}
	}
	if needExact {
		var all []domain.Bucket
		if len(byUser) == 1 && opts.Exact {
			// A Recalculate: the account's own buckets, without listing
			// the server's on a large one (tenantBuckets).
			for user, i := range byUser {
				all, err = m.tenantBuckets(ctx, st, services[i].ID, user)
			}
		} else {
			all, err = m.S3.ListBuckets(ctx)
		}
		if err != nil {
			return res, err
		}
		seen := map[int]bool{}
		for _, b := range all {
			i, ok := owner(byUser, b.Name)
			if !ok || !(opts.Exact || services[i].Product.UsageMode == domain.UsageExact) {
				continue
			}
			if !seen[i] {
				seen[i] = true
				totals[i] = measure{}
			}
			if err := m.S3.Measure(ctx, &b); err != nil {
				res.Services[i].Error = reportError(err)
				continue
			}
			totals[i].add(domain.Bucket{Name: b.Name, Bytes: b.Bytes, Objects: b.Objects, Versions: b.Versions})
		}
		if opts.Exact {
			res.LastUpdate = now
		}
	}
	// Services this server has not recorded yet (a first run, or after an
	// upgrade) are recorded together, in one transaction.
	var fresh []domain.Account
	for i := range services {
		s := &services[i]
		if res.Services[i].Error != nil {
			continue
		}
		if rec, ok := known[s.ID]; ok && rec.Terminating {
			res.Services[i].Error = &ReportError{Code: domain.ECONFLICT, Message: "the account is being terminated; it was not measured"}
			continue
		} else if !ok || rec.Username != s.Username {
			rec = domain.Account{ServerID: m.ServerID, ServiceID: s.ID, Username: s.Username, Group: s.Product.Group, CreatedAt: now}
			known[s.ID] = rec
			fresh = append(fresh, rec)
		}
	}
	if err := st.SaveAccounts(ctx, fresh); err != nil {
		return res, err
	}
	if m.onRGW() && measuresTraffic(services, res.Services) {
		// Before the egress is judged, so that this run's notices see it.
		// A failure does not hold up the disk figures: nothing was counted
		// or trimmed that the next run would miss.
		if err := m.rgwTraffic(ctx, st, now); err != nil {
			m.log().Error("traffic from the usage log", "error", err, "backend", "rgw")
			res.TrafficError = reportError(err)
		}
	}
	evs := make([]domain.Evaluation, len(services))
	var writes []int // services whose policy document must be written
	for i := range services {
		s := &services[i]
		if res.Services[i].Error != nil {
			continue
		}
		evs[i] = domain.Evaluate(s.Product, s.Username, totals[i].bytes, known[s.ID].State)
		sig := rgwSignature
		if !m.onRGW() {
			sig = prods.signature(s.Product, evs[i].WantPolicy)
		}
		if ev := evs[i]; ev.NeedsPolicyChange() || ev.Next.PolicySig != sig {
			writes = append(writes, i)
		}
	}
	measured := make([]bool, len(services))
	for i := range services {
		measured[i] = res.Services[i].Error == nil
	}
	if err := m.writePolicies(ctx, st, services, evs, writes, res.Services, measured, &prods); err != nil {
		return res, err
	}
	samples := make([]domain.Sample, 0, len(byUser))
	states := make(map[int64]domain.AccountState, len(byUser))
	retention := make(map[int64]int, len(byUser))
	for i := range services {
		s, r := &services[i], &res.Services[i]
		if !measured[i] {
			continue
		}
		ev, t := evs[i], totals[i]
		eg, err := monthEgress(ctx, st, s.Product, s.ID, s.Username, now, ev.Next)
		if err != nil {
			return res, err
		}
		r.UsedBytes, r.UsedMB, r.LimitMB, r.Percent = t.bytes, domain.ToMB(t.bytes), domain.ToMB(ev.LimitBytes), ev.Percent
		r.Objects, r.Buckets = t.objects, t.buckets
		r.State, r.PolicyState, r.Forced, r.Notices = ev.State, ev.Next.Policy, ev.Next.Forced, nonNilNotices(ev.Notices)
		if eg.Notice != nil {
			r.Notices = append(r.Notices, *eg.Notice)
		}
		if s.Product.Traffic {
			r.Traffic = newTrafficReport(eg)
		}
		source := domain.UsageScanner
		if opts.Exact || s.Product.UsageMode == domain.UsageExact {
			source = domain.UsageExact
		}
		list := t.list
		if list == nil {
			list = []domain.Bucket{} // measured, and holds none
		}
		samples = append(samples, domain.Sample{ServiceID: s.ID, At: now, Bytes: t.bytes, Objects: t.objects, Versions: t.versions, Source: source, Buckets: list})
		states[s.ID] = eg.Next
		retention[s.ID] = s.Product.HistoryDays
	}
	if err := st.RecordCollection(ctx, m.ServerID, samples, states, retention); err != nil {
		return res, err
	}
	return res, nil
}

// writePolicies writes the policy documents a run decided on (the indexes
// in writes), with plain calls only: attaching is an encrypted call (an
// Argon2id on the server each time), and create attached the policy.
//
// Switches (the policy the user should hold changed) come first. Rewrites
// of an unchanged policy from new inputs (a product edited, new guards
// after an upgrade: every account at once) follow while the run has used
// less than half its time, so a run with thousands of them still ends and
// records what it did; the next runs continue.
//
// Each write holds the name lock and reads its account again first, so
// that an account terminate has marked (or deleted) meanwhile is left
// alone rather than given its policy back (and unmarked in measured, so
// the run records nothing for it). The lock is taken per write, never for
// the whole loop: a create or terminate waits for one write at most. A
// service whose write fails gets the error in its report, keeps its policy
// state and its measurement; the run goes on.
func (m *Manager) writePolicies(ctx context.Context, st Store, services []UsageService, evs []domain.Evaluation, writes []int, reports []UsageReport, measured []bool, prods *products) error {
	var refresh []int
	until, bounded := m.halfTime(ctx)
	for _, i := range writes {
		if !evs[i].NeedsPolicyChange() {
			refresh = append(refresh, i)
			continue
		}
		if err := m.writeOne(ctx, st, &services[i], &evs[i], &reports[i], &measured[i], prods); err != nil {
			return err
		}
	}
	for n, i := range refresh {
		if bounded && n > 0 && m.now().After(until) { // at least one a run, so the runs get through them
			m.log().Info("policy documents left to rewrite by the next runs", "count", len(refresh)-n)
			break
		}
		if err := m.writeOne(ctx, st, &services[i], &evs[i], &reports[i], &measured[i], prods); err != nil {
			return err
		}
	}
	return nil
}

// halfTime is the moment, on the manager's clock, half of ctx's remaining
// time will have passed.
func (m *Manager) halfTime(ctx context.Context) (time.Time, bool) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, false
	}
	return m.now().Add(time.Until(deadline) / 2), true
}

// writeOne writes one service's policy document under the name lock; an
// error is returned only when the store fails.
func (m *Manager) writeOne(ctx context.Context, st Store, s *UsageService, ev *domain.Evaluation, report *UsageReport, measured *bool, prods *products) error {
	unlock, err := st.LockNames(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	rec, ok, err := st.Account(ctx, m.ServerID, s.ID)
	if err != nil {
		return err
	}
	if !ok || rec.Terminating || rec.Username != s.Username {
		report.Error = &ReportError{Code: domain.ECONFLICT, Message: "the account is being terminated; it was not measured"}
		*measured = false
		return nil
	}
	if m.onRGW() {
		// The quota refuses writes past the limit by itself: the state is
		// recorded, nothing is written.
		ev.Next.Policy, ev.Next.PolicySig = ev.WantPolicy, rgwSignature
		return nil
	}
	if err := m.writePolicy(ctx, s.Username, s.Product, ev.WantPolicy, false); err != nil {
		report.Error = reportError(err)
		return nil
	}
	changed := ev.NeedsPolicyChange()
	ev.Next.Policy, ev.Next.PolicySig = ev.WantPolicy, prods.signature(s.Product, ev.WantPolicy)
	if changed {
		m.log().Info("policy switched", "service", s.ID, "user", s.Username, "policy", ev.WantPolicy, "usedBytes", ev.UsedBytes)
		if err := m.settlePublic(ctx, st, s.ID, s.Username, s.Product, ev.WantPolicy, rec.Suspended); err != nil {
			report.Error = reportError(err)
		}
	}
	return nil
}

// measuresTraffic reports whether a service that passed its checks has a
// product that measures traffic: only then does an RGW server's usage run
// read (and trim) the usage log, so a server that sells no traffic keeps
// its log to itself.
func measuresTraffic(services []UsageService, reports []UsageReport) bool {
	for i, s := range services {
		if reports[i].Error == nil && s.Product.Traffic {
			return true
		}
	}
	return false
}

// anyDue reports whether one of the services that passed their checks is
// due for a measurement: never measured by this server, measured under
// another user name, or last measured longer ago than its product's
// re-check interval.
func anyDue(services []UsageService, reports []UsageReport, known map[int64]domain.Account, now time.Time) bool {
	for i, s := range services {
		if reports[i].Error != nil {
			continue
		}
		rec, ok := known[s.ID]
		if !ok || rec.Username != s.Username || s.Product.UsageDue(rec.CheckedAt, now) {
			return true
		}
	}
	return false
}

// duplicateServices returns an error for each entry whose id, or non-empty
// user name, another entry has too.
func duplicateServices(services []UsageService) map[int]*ReportError {
	ids := make(map[int64]int, len(services))
	users := make(map[string]int, len(services))
	for _, s := range services {
		ids[s.ID]++
		if u := strings.TrimSpace(s.Username); u != "" {
			users[u]++
		}
	}
	out := map[int]*ReportError{}
	for i, s := range services {
		if n := ids[s.ID]; n > 1 {
			out[i] = &ReportError{Code: domain.EINVALID, Message: fmt.Sprintf("params.services lists service %d %d times; it was not measured", s.ID, n)}
		} else if n := users[strings.TrimSpace(s.Username)]; n > 1 {
			out[i] = &ReportError{Code: domain.ECONFLICT, Message: fmt.Sprintf("user name %q belongs to %d services in params.services; none of them was measured or had its policy changed", domain.Printable(s.Username), n)}
		}
	}
	return out
}

// Recalculate measures one service exactly now (the Recalculate button),
// records it and applies the policy its usage calls for.
func (m *Manager) Recalculate(ctx context.Context, svc domain.ServiceRef, p domain.Product) (UsageReport, error) {
	if err := checkService(svc); err != nil {
		return UsageReport{}, err
	}
	res, err := m.UpdateUsage(ctx, []UsageService{{ID: svc.ID, ClientID: svc.ClientID, Username: svc.Username, Status: svc.Status, Product: &p}}, UsageOptions{Exact: true})
	if err != nil {
		return UsageReport{}, err
	}
	r := res.Services[0]
	if r.Error != nil {
		return UsageReport{}, &domain.Error{Code: r.Error.Code, Message: r.Error.Message}
	}
	return r, nil
}

// RecalculateEvery is how often a client may recalculate one service: an
// exact measurement lists every object version, for up to two minutes.
const RecalculateEvery = 5 * time.Minute

// ClientRecalculate is Recalculate as the client area's button does it: at
// most once per RecalculateEvery for a service.
func (m *Manager) ClientRecalculate(ctx context.Context, svc domain.ServiceRef, p domain.Product) (UsageReport, error) {
	if err := checkService(svc); err != nil {
		return UsageReport{}, err
	}
	st, err := m.store()
	if err != nil {
		return UsageReport{}, err
	}
	ok, next, err := st.Throttle(ctx, svc.ID, "recalculate", RecalculateEvery)
	if err != nil {
		return UsageReport{}, err
	}
	if !ok {
		return UsageReport{}, domain.Errorf(domain.ELIMIT, "the disk space was recalculated less than %d minutes ago; try again after %s UTC",
			int(RecalculateEvery.Minutes()), next.UTC().Format("15:04"))
	}
	return m.Recalculate(ctx, svc, p)
}

// Notified is an email the shim confirms it sent.
type Notified struct {
	ServiceID int64  `json:"serviceId"`
	Kind      string `json:"kind"`
	// Period is the notice's own period, given back as the notice had it:
	// the month of an egress notice ("2026-11"); empty for the others.
	Period string `json:"period"`
}

// MarkNotified records sent notices, so each is not due again until usage
// re-arms it. It returns how many it recorded.
func (m *Manager) MarkNotified(ctx context.Context, notices []Notified) (int, error) {
	months := make([]time.Time, len(notices))
	for i, n := range notices {
		if n.ServiceID <= 0 {
			return 0, domain.Errorf(domain.EINVALID, "params.notices[%d].serviceId must be a positive whole number", i)
		}
		switch n.Kind {
		case domain.NoticeWarn, domain.NoticeLimit:
			if n.Period != "" {
				return 0, domain.Errorf(domain.EINVALID, "params.notices[%d].period is for egress notices only", i)
			}
		case domain.NoticeEgress:
			month, err := domain.ParsePeriod(n.Period)
			if err != nil {
				return 0, domain.Field(fmt.Sprintf("params.notices[%d].period", i), err)
			}
			months[i] = month
		default:
			return 0, domain.Errorf(domain.EINVALID, "params.notices[%d].kind must be warn, limit or egress, not %q", i, domain.Printable(n.Kind))
		}
	}
	st, err := m.store()
	if err != nil {
		return 0, err
	}
	for i, n := range notices {
		if n.Kind == domain.NoticeEgress {
			err = st.MarkEgressNotified(ctx, m.ServerID, n.ServiceID, months[i])
		} else {
			err = st.MarkNotified(ctx, m.ServerID, n.ServiceID, n.Kind)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(notices), nil
}

// MetricService names a tenant for usage billing, with its product.
type MetricService struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	// Product says whether traffic is measured; services of one product
	// may share one value. Nil is a product with every setting at its
	// default (traffic not measured).
	Product *domain.Product `json:"product"`
}

// TenantMetrics is one tenant's usage-billing figures, in GB (2^30 bytes).
// The traffic figures are those of the UTC month so far (WHMCS stores
// period metrics as period-to-date values), given only when the product
// measures traffic.
type TenantMetrics struct {
	ServiceID  int64        `json:"serviceId"`
	Username   string       `json:"username"`
	DiskGB     float64      `json:"diskGB"`
	MonthAvgGB float64      `json:"monthAvgGB"`
	EgressGB   *float64     `json:"egressGB,omitempty"`
	IngressGB  *float64     `json:"ingressGB,omitempty"`
	Error      *ReportError `json:"error,omitempty"`
}

// Metrics reads each service's latest disk figure and its month-to-date
// time-weighted average from the history and, when its product measures
// traffic, its egress and ingress in the month so far. A service whose
// product fails its checks gets an error entry and no figures; the rest
// are answered.
func (m *Manager) Metrics(ctx context.Context, services []MetricService) ([]TenantMetrics, error) {
	for i, s := range services {
		if s.ID <= 0 {
			return nil, domain.Errorf(domain.EINVALID, "params.services[%d].id must be a positive whole number", i)
		}
	}
	prods := products{err: map[*domain.Product]error{}}
	defaults := &domain.Product{} // one value, so it is checked once
	st, err := m.store()
	if err != nil {
		return nil, err
	}
	out := make([]TenantMetrics, 0, len(services))
	now := m.now().UTC()
	month := domain.MonthStart(now)
	for _, s := range services {
		t := TenantMetrics{ServiceID: s.ID, Username: s.Username}
		p := s.Product
		if p == nil {
			p = defaults
		}
		if err := prods.normalize(p); err != nil {
			t.Error = reportError(err)
			out = append(out, t)
			continue
		}
		if last, ok, err := st.Latest(ctx, s.ID); err != nil {
			return nil, err
		} else if ok {
			t.DiskGB = gb(float64(last.Bytes))
		}
		avg, err := st.MonthToDateAverageBytes(ctx, s.ID, now)
		if err != nil {
			return nil, err
		}
		t.MonthAvgGB = gb(avg)
		if p.Traffic {
			tr, err := st.TrafficTotal(ctx, s.ID, month, month.AddDate(0, 1, 0))
			if err != nil {
				return nil, err
			}
			egress, ingress := gb(float64(tr.Egress)), gb(float64(tr.Ingress))
			t.EgressGB, t.IngressGB = &egress, &ingress
		}
		out = append(out, t)
	}
	return out, nil
}

// gb converts bytes to GB (2^30), rounded to 6 decimals.
func gb(b float64) float64 { return math.Round(b/(1<<30)*1e6) / 1e6 }

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
