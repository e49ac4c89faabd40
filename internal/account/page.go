package account

import (
	"context"
	"sync"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgw"
)

// Overview is what the client area and the admin tab show of one account:
// the stored usage figures with the verdict on them, the history for the
// charts and the account's buckets.
type Overview struct {
	Product    domain.Product // the product, normalized, the figures were judged by
	Latest     domain.Sample  // zero when never measured
	Evaluation domain.Evaluation
	Forced     domain.PolicyState
	Daily      []domain.DayUsage   // the last 30 days
	Monthly    []domain.MonthUsage // the last 12 months
	Buckets    []domain.Bucket
	// BucketsErr is why the buckets could not be read; the rest of the
	// page is still shown. It may hold the server's own words, which are
	// for the admin and the log, not for the client.
	BucketsErr error
	// Suspended and Policy are the account's state as the store records
	// it: what the client area lets the tenant change.
	Suspended bool
	Policy    domain.PolicyState
	// Traffic is the account's metered traffic; nil when the product does
	// not measure it.
	Traffic *TrafficOverview
}

// TrafficOverview is what the pages show of an account's traffic.
type TrafficOverview struct {
	// Month is the UTC month so far, judged against the product's egress
	// allowance.
	Month domain.EgressEvaluation
	// Daily holds a row for each day from the first with traffic in the
	// last 30 days to today, days without traffic as zeros; Monthly the
	// same for the last 12 months. Both are empty when there was none.
	Daily   []domain.TrafficDay
	Monthly []domain.TrafficMonth
	// Buckets is this month's traffic per bucket.
	Buckets []domain.BucketTraffic
	// Hourly says the figures arrive by whole hours, some time after each
	// hour ends (RGW's usage log, read by the usage runs), rather than
	// within minutes (MinIO's audit webhook).
	Hourly bool
}

// historyDays and historyMonths are the spans the charts draw.
const (
	historyDays   = 30
	historyMonths = 12
)

// Overview gathers the page data of svc under product p. An account
// without a user name yet has no buckets and no history.
func (m *Manager) Overview(ctx context.Context, svc domain.ServiceRef, p domain.Product) (Overview, error) {
	if err := p.NormalizeForDisplay(); err != nil {
		return Overview{}, err
	}
	return m.overview(ctx, svc, p)
}

// overview is Overview for a normalized p.
func (m *Manager) overview(ctx context.Context, svc domain.ServiceRef, p domain.Product) (Overview, error) {
	o := Overview{Product: p}
	st, err := m.store()
	if err != nil {
		return o, err
	}
	last, _, err := st.Latest(ctx, svc.ID)
	if err != nil {
		return o, err
	}
	o.Latest = last
	rec, _, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return o, err
	}
	o.Evaluation = domain.Evaluate(&p, svc.Username, last.Bytes, rec.State)
	o.Forced = rec.State.Forced
	o.Suspended, o.Policy = rec.Suspended, rec.State.Policy
	now := m.now().UTC()
	if o.Daily, err = st.Daily(ctx, svc.ID, now.AddDate(0, 0, 1-historyDays), now); err != nil {
		return o, err
	}
	if o.Monthly, err = st.Monthly(ctx, svc.ID, historyMonths, now); err != nil {
		return o, err
	}
	if p.Traffic {
		if o.Traffic, err = m.trafficOverview(ctx, st, svc, &p, rec.State, now); err != nil {
			return o, err
		}
	}
	if svc.Username != "" {
		// The buckets as the last measurement found them (usage runs and
		// Recalculate store them): a page view asks the server nothing, so
		// it costs the same with one tenant on the server or 10,000.
		o.Buckets, o.BucketsErr = st.BucketUsage(ctx, m.ServerID, svc.ID)
	}
	return o, nil
}

// trafficOverview reads the account's traffic for the pages: four queries
// on the store's per-service keys, nothing from the server.
func (m *Manager) trafficOverview(ctx context.Context, st Store, svc domain.ServiceRef, p *domain.Product, prev domain.AccountState, now time.Time) (*TrafficOverview, error) {
	month, err := monthEgress(ctx, st, p, svc.ID, svc.Username, now, prev)
	if err != nil {
		return nil, err
	}
	t := &TrafficOverview{Month: month, Hourly: m.onRGW()}
	days, err := st.TrafficDaily(ctx, svc.ID, now.AddDate(0, 0, 1-historyDays), now)
	if err != nil {
		return nil, err
	}
	if len(days) > 0 {
		byDay := make(map[int64]domain.Traffic, len(days))
		for _, d := range days {
			byDay[d.Day.Unix()] = d.Traffic
		}
		for d, last := days[0].Day, domain.MonthStart(now).AddDate(0, 0, now.Day()-1); !d.After(last); d = d.AddDate(0, 0, 1) {
			t.Daily = append(t.Daily, domain.TrafficDay{Day: d, Traffic: byDay[d.Unix()]})
		}
	}
	months, err := st.TrafficMonthly(ctx, svc.ID, historyMonths, now)
	if err != nil {
		return nil, err
	}
	if len(months) > 0 {
		byMonth := make(map[int64]domain.Traffic, len(months))
		for _, mo := range months {
			byMonth[mo.Month.Unix()] = mo.Traffic
		}
		for mo := months[0].Month; !mo.After(month.Month); mo = mo.AddDate(0, 1, 0) {
			t.Monthly = append(t.Monthly, domain.TrafficMonth{Month: mo, Traffic: byMonth[mo.Unix()]})
		}
	}
	if t.Buckets, err = st.TrafficByBucket(ctx, svc.ID, now); err != nil {
		return nil, err
	}
	return t, nil
}

// AdminView is what the admin tab shows: the server's state, the user's
// state on it and the account's Overview. Failures to reach the server are
// part of the view, for the admin to read.
type AdminView struct {
	Overview
	Server    domain.ServerInfo // the drives (StorageInfo)
	ServerErr error
	// Version is the server's version as the cron's look last read it
	// ("" before the first).
	Version    string
	Details    AccountDetails
	DetailsErr error
	// Group is the last check of the product's group (create and change
	// package make it; Found is false before the first), which the tab
	// shows rather than reading the group, whose answer lists every member.
	Group      domain.GroupCheck
	GroupFound bool
	// Withheld are the bucket policies the module keeps off the tenant's
	// buckets while it is suspended or limited.
	Withheld []domain.WithheldPolicy
	// Keys are the access keys the client area made for the tenant.
	Keys []domain.AccessKey
}

// AdminView gathers the admin tab of svc under product p. It asks the
// server only about its drives and this user (storage info, user info, at
// once); the
// rest comes from the store. Listing users, as Test Connection does, would
// cost a 64 MiB Argon2id and grow with the tenants on every view.
func (m *Manager) AdminView(ctx context.Context, svc domain.ServiceRef, p domain.Product) (AdminView, error) {
	var v AdminView
	if err := p.NormalizeForDisplay(); err != nil {
		return v, err
	}
	if m.onRGW() {
		var c rgw.ServerCheck
		if c, v.ServerErr = m.Gateway.Check(ctx); v.ServerErr == nil {
			v.Server = domain.ServerInfo{Mode: "rgw"}
			v.Version = "Ceph " + c.Version
		}
	} else {
		// The drives and the user are asked at once: on a busy server each
		// answer waits behind its scanner, and the tab waits for the slower
		// one only.
		if _, err := m.store(); err != nil { // opened once, before both use it
			return v, err
		}
		var details sync.WaitGroup
		if svc.Username != "" {
			details.Go(func() { v.Details, v.DetailsErr = m.Details(ctx, svc) })
		}
		v.Server, v.ServerErr = m.Admin.StorageInfo(ctx)
		details.Wait()
	}
	var err error
	if v.Overview, err = m.overview(ctx, svc, p); err != nil {
		return v, err
	}
	if m.onRGW() && svc.Username != "" && v.ServerErr == nil {
		v.Details, v.DetailsErr = m.Details(ctx, svc)
	}
	if v.ServerErr != nil {
		// Unreachable: the user's answer, if any, is not shown.
		v.Details, v.DetailsErr = AccountDetails{}, nil
	}
	st, err := m.store()
	if err != nil {
		return v, err
	}
	if v.Withheld, err = st.WithheldPolicies(ctx, m.ServerID, svc.ID); err != nil {
		return v, err
	}
	if v.Keys, err = st.AccessKeys(ctx, m.ServerID, svc.ID); err != nil {
		return v, err
	}
	if p.Group != "" {
		if v.Group, v.GroupFound, err = st.GroupCheck(ctx, m.ServerID, p.Group); err != nil {
			return v, err
		}
	}
	if !m.onRGW() {
		if v.Version, _, _, err = st.ServerVersion(ctx, m.ServerID); err != nil {
			return v, err
		}
	}
	return v, nil
}
