package account

import (
	"context"

	"github.com/puqminios3/puqminio/internal/domain"
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
	return m.overview(ctx, svc, p, true)
}

// overview is Overview for a normalized p; without live, the buckets are
// not read.
func (m *Manager) overview(ctx context.Context, svc domain.ServiceRef, p domain.Product, live bool) (Overview, error) {
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
	now := m.now().UTC()
	if o.Daily, err = st.Daily(ctx, svc.ID, now.AddDate(0, 0, 1-historyDays), now); err != nil {
		return o, err
	}
	if o.Monthly, err = st.Monthly(ctx, svc.ID, historyMonths, now); err != nil {
		return o, err
	}
	if svc.Username != "" && live {
		// A name such as "a" would show other tenants' buckets ("a-…").
		if o.BucketsErr = checkService(svc); o.BucketsErr == nil {
			o.Buckets, o.BucketsErr = m.bucketsOf(ctx, svc.Username)
		}
	}
	return o, nil
}

// AdminView is what the admin tab shows: the server's state, the user's
// state on it and the account's Overview. Failures to reach the server are
// part of the view, for the admin to read.
type AdminView struct {
	Overview
	Server     domain.ServerInfo
	ServerErr  error
	Details    AccountDetails
	DetailsErr error
	// GroupPolicies are the policies the product's group grants each
	// tenant in it; GroupErr says why the group cannot be used (it grants
	// more than the tenant's own buckets) or could not be read.
	GroupPolicies []string
	GroupErr      error
	// Withheld are the bucket policies the module keeps off the tenant's
	// buckets while it is suspended or limited.
	Withheld []domain.WithheldPolicy
}

// AdminView gathers the admin tab of svc under product p. It reads server
// info rather than listing users (as Test Connection does): the list is an
// encrypted answer costing a 64 MiB Argon2id on every page view, and
// reading the user shows whether the credentials can administer users.
func (m *Manager) AdminView(ctx context.Context, svc domain.ServiceRef, p domain.Product) (AdminView, error) {
	var v AdminView
	if err := p.NormalizeForDisplay(); err != nil {
		return v, err
	}
	v.Server, v.ServerErr = m.Admin.ServerInfo(ctx)
	var err error
	if v.Overview, err = m.overview(ctx, svc, p, v.ServerErr == nil); err != nil {
		return v, err
	}
	if svc.Username != "" && v.ServerErr == nil {
		v.Details, v.DetailsErr = m.Details(ctx, svc)
	}
	if p.Group != "" && v.ServerErr == nil {
		if v.GroupPolicies, v.GroupErr = m.Admin.GroupPolicies(ctx, p.Group); v.GroupErr == nil {
			v.GroupErr = m.checkGroup(ctx, &p)
		}
	}
	st, err := m.store()
	if err != nil {
		return v, err
	}
	if v.Withheld, err = st.WithheldPolicies(ctx, m.ServerID, svc.ID); err != nil {
		return v, err
	}
	return v, nil
}

// bucketsOf reads user's buckets with the server's scanner figures: one
// call, not a listing of every object on each page view.
func (m *Manager) bucketsOf(ctx context.Context, user string) ([]domain.Bucket, error) {
	du, err := m.Admin.DataUsageInfo(ctx)
	if err != nil {
		return nil, err
	}
	list, err := m.S3.BucketsOf(ctx, user)
	if err != nil {
		return nil, err
	}
	for i := range list {
		bu := du.BucketsUsage[list[i].Name]
		list[i].Bytes, list[i].Objects, list[i].Versions = int64(bu.Size), int64(bu.ObjectsCount), int64(bu.VersionsCount)
	}
	return list, nil
}
