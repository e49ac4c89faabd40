package bridge

import (
	"context"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/view"
)

// RenderParams are the params of render.client and render.admin.
type RenderParams struct {
	Page           string `json:"page"`           // overview or stats
	Nonce          string `json:"nonce"`          // CSP nonce for inline style and script
	RecalculateURL string `json:"recalculateUrl"` // where the Recalculate button goes
	CSRF           string `json:"csrf"`           // WHMCS's token; makes Recalculate a POST
	StatsURL       string `json:"statsUrl"`
	OverviewURL    string `json:"overviewUrl"`
	OverridesDir   string `json:"overridesDir"` // admins' string overrides (view.Options)
}

// ViewRenderer renders pages with internal/view from the request's data, the
// usage history and one live read of MinIO's bucket figures.
type ViewRenderer struct{}

// renderCheck is what checkRender hands the renderer.
type renderCheck struct {
	params RenderParams
	view   *view.Renderer
}

// checkRender decodes and checks the params of render.client and
// render.admin and loads the templates with the admin's overrides.
func checkRender(req *Request, _ Env) (any, error) {
	var p RenderParams
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	switch p.Page {
	case "":
		p.Page = view.PageOverview
	case view.PageOverview, view.PageStats:
	default:
		return nil, domain.Errorf(domain.EINVALID, "params.page must be overview or stats")
	}
	r, err := view.New(view.Options{OverridesDir: p.OverridesDir})
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "cannot load the page templates or language overrides (params.overridesDir): %s", domain.Printable(err.Error()))
	}
	return &renderCheck{params: p, view: r}, nil
}

func (ViewRenderer) params(h *Handle) (RenderParams, *view.Renderer) {
	c := h.Params.(*renderCheck)
	return c.params, c.view
}

// usage gathers the stored figures of the service: the latest sample, the
// 30-day series, 12 monthly averages and the policy state.
func usageFor(ctx context.Context, h *Handle) (view.Usage, []view.Point, []view.Point, error) {
	p, svc := h.Req.Product, h.Req.Service
	now := h.Env.Now().UTC()
	u := view.Usage{LimitBytes: p.LimitBytes(), Unit: p.Unit, UnitBytes: p.UnitBytes(), WarnPercent: p.WarnPercent}
	last, ok, err := h.Store.Latest(ctx, svc.ID)
	if err != nil {
		return u, nil, nil, err
	}
	if ok {
		u.UsedBytes, u.MeasuredAt, u.Source = last.Bytes, last.At, last.Source
	}
	rec, _, err := h.Store.Account(ctx, h.Req.Server.ID, svc.ID)
	if err != nil {
		return u, nil, nil, err
	}
	ev := domain.Evaluate(p, svc.Username, u.UsedBytes, rec.State)
	u.State, u.Forced = string(ev.State), string(rec.State.Forced)
	days, err := h.Store.Daily(ctx, svc.ID, now.AddDate(0, 0, -29), now)
	if err != nil {
		return u, nil, nil, err
	}
	daily := make([]view.Point, 0, len(days))
	for _, d := range days {
		daily = append(daily, view.Point{At: d.Day, Bytes: d.LastBytes})
	}
	months, err := h.Store.Monthly(ctx, svc.ID, 12, now)
	if err != nil {
		return u, nil, nil, err
	}
	monthly := make([]view.Point, 0, len(months))
	for _, m := range months {
		monthly = append(monthly, view.Point{At: m.Month, Bytes: m.AvgBytes})
	}
	return u, daily, monthly, nil
}

// buckets reads the user's buckets with MinIO's scanner figures: one call,
// not a listing of every object on each page view.
func bucketsFor(ctx context.Context, h *Handle) ([]view.Bucket, error) {
	if h.Req.Service.Username == "" {
		return []view.Bucket{}, nil
	}
	if err := domain.ValidateExistingUsername(h.Req.Service.Username); err != nil {
		// A name such as "a" would show other tenants' buckets ("a-…").
		return nil, fieldError("service.username", err)
	}
	du, err := h.Manager.Admin.DataUsageInfo(ctx)
	if err != nil {
		return nil, err
	}
	list, err := h.Manager.S3.BucketsOf(ctx, h.Req.Service.Username)
	if err != nil {
		return nil, err
	}
	out := make([]view.Bucket, 0, len(list))
	for _, b := range list {
		bu := du.BucketsUsage[b.Name]
		out = append(out, view.Bucket{Name: b.Name, Bytes: int64(bu.Size), Objects: int64(bu.ObjectsCount), Versions: int64(bu.VersionsCount)})
	}
	return out, nil
}

// Client renders the client area.
func (v ViewRenderer) Client(ctx context.Context, h *Handle) (string, error) {
	p, r := v.params(h)
	svc, prod := h.Req.Service, h.Req.Product
	endpoint := prod.PublicEndpoint
	if endpoint == "" {
		endpoint = h.Req.Server.Endpoint
	}
	page := view.ClientPage{
		Lang: svc.Lang, Nonce: p.Nonce, Page: p.Page, InstructionURL: prod.InstructionURL,
		Endpoint: endpoint, Secure: h.Req.Server.Secure, AccessKey: svc.Username,
		PasswordDisplay: prod.PasswordDisplay, RecalculateURL: p.RecalculateURL, RecalculateCSRF: p.CSRF,
		StatsURL: p.StatsURL, OverviewURL: p.OverviewURL,
	}
	if prod.PasswordDisplay != domain.PasswordHide {
		page.Secret = svc.Password
	}
	var err error
	if page.Usage, page.Daily, page.Monthly, err = usageFor(ctx, h); err != nil {
		return "", err
	}
	if page.Buckets, err = bucketsFor(ctx, h); err != nil {
		page.Error = domain.ErrorMessage(translateView(err))
		h.Env.Log.Warn("client area without bucket figures", "service", svc.ID, "err", domain.ErrorMessage(translateView(err)))
	}
	var b strings.Builder
	if err := r.Client(&b, page); err != nil {
		return "", domain.Errorf(domain.EINTERNAL, "render client area: %s", err)
	}
	return b.String(), nil
}

// Admin renders the admin service tab.
func (v ViewRenderer) Admin(ctx context.Context, h *Handle) (string, error) {
	p, r := v.params(h)
	svc := h.Req.Service
	page := view.AdminPage{Lang: "english", Nonce: p.Nonce, Username: svc.Username, Groups: []string{}}
	// Server info only: listing users (as Test Connection does) is an
	// encrypted answer costing a 64 MiB Argon2id on every page view. Reading
	// the user below shows whether the credentials can administer users.
	si, err := h.Manager.Admin.ServerInfo(ctx)
	if err != nil {
		page.Connection.Error = domain.ErrorMessage(translateView(err))
	} else {
		page.Connection = view.Connection{OK: true, Version: si.Version(), Mode: si.Mode, DrivesOnline: si.DrivesOnline(), DrivesOffline: si.DrivesOffline()}
	}
	if svc.Username != "" && page.Connection.OK {
		d, err := h.Manager.Details(ctx, *svc)
		if err != nil {
			page.Errors = append(page.Errors, domain.ErrorMessage(err))
		} else {
			page.Exists, page.Enabled, page.Groups = d.Exists, d.Enabled, d.Groups
			page.PolicyState, page.Forced = string(d.PolicyState), string(d.Forced)
			if !d.Exists {
				page.Errors = append(page.Errors, "The user "+svc.Username+" does not exist on MinIO: run Create, or Terminate to clean up.")
			}
		}
		if page.Buckets, err = bucketsFor(ctx, h); err != nil {
			page.Errors = append(page.Errors, domain.ErrorMessage(translateView(err)))
		}
	} else if svc.Username == "" {
		page.Errors = append(page.Errors, "This service has no MinIO user yet: run Create.")
	}
	if page.Usage, page.Daily, _, err = usageFor(ctx, h); err != nil {
		return "", err
	}
	var b strings.Builder
	if err := r.Admin(&b, page); err != nil {
		return "", domain.Errorf(domain.EINTERNAL, "render admin tab: %s", err)
	}
	return b.String(), nil
}

// translateView maps a raw admin-client error for display.
func translateView(err error) error {
	if _, ok := err.(*domain.Error); ok {
		return err
	}
	return domain.Retryf(domain.EUNAVAILABLE, "cannot read from MinIO: %s", domain.Printable(err.Error()))
}
