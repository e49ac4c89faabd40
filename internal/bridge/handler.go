package bridge

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
	"github.com/puqminios3/puqminio/internal/s3"
	"github.com/puqminios3/puqminio/internal/sqlite"
)

// Exit statuses of `puqminio rpc`.
const (
	ExitOK       = 0 // ok:true
	ExitRejected = 1 // the request was refused before anything was touched
	ExitFailed   = 2 // the action failed; the response says whether to retry
	ExitNoAnswer = 3 // no response could be written
)

// Env is what handlers need from outside the request.
type Env struct {
	Now    func() time.Time
	Log    *slog.Logger
	Render Renderer // nil: render actions answer "internal"
}

// Renderer draws the client and admin areas; internal/view implements it
// through an adapter in this package.
type Renderer interface {
	Client(ctx context.Context, h *Handle) (string, error)
	Admin(ctx context.Context, h *Handle) (string, error)
}

// Response is the one JSON object written to stdout.
type Response struct {
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *ErrorBody `json:"error,omitempty"`
}

// ErrorBody is a failed response's error.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// rejected lists the codes that mean "refused before anything was touched".
var rejected = map[string]bool{
	domain.EINVALIDJSON: true, domain.EVERSION: true, domain.EUNKNOWN: true, domain.EMISSING: true,
	domain.EINVALID: true, domain.ETOOLARGE: true, domain.EINVALIDNAME: true, domain.EINVALIDPOL: true,
}

// Run reads one request from in, carries it out and writes one response to
// out. It returns the process exit status.
func Run(ctx context.Context, in io.Reader, out io.Writer, env Env) int {
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	start := time.Now()
	var result any
	req, err := Decode(in)
	action := ""
	if err == nil {
		action = req.Action
		result, err = Dispatch(ctx, req, env)
	}
	resp := Response{OK: err == nil, Result: result}
	status := ExitOK
	if err != nil {
		code := domain.ErrorCode(err)
		if code == domain.EINTERNAL {
			// Details of an internal error go to the operator's log only.
			env.Log.Error("internal error", "action", action, "err", err.Error())
		}
		resp.Result = nil
		resp.Error = &ErrorBody{Code: code, Message: domain.ErrorMessage(err), Retryable: domain.IsRetryable(err)}
		status = ExitFailed
		if rejected[code] {
			status = ExitRejected
		}
		env.Log.Warn("action failed", "action", action, "code", code, "retryable", resp.Error.Retryable, "ms", time.Since(start).Milliseconds())
	} else {
		env.Log.Info("action done", "action", action, "ms", time.Since(start).Milliseconds())
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if werr := enc.Encode(resp); werr != nil {
		env.Log.Error("cannot write the response", "err", werr.Error())
		return ExitNoAnswer
	}
	return status
}

// Handle is one request in progress, with the clients it needs, opened once.
type Handle struct {
	Req     *Request
	Env     Env
	Manager *account.Manager
	Store   *sqlite.DB
	Params  any // what the action's check decoded from Req.Params
}

type action struct {
	server, store, service, product bool
	// username: service.username names an existing MinIO user.
	username bool
	// check refuses what else is wrong with the request before the store
	// is opened or MinIO is asked anything, and returns the decoded params
	// (Handle.Params). An action without params refuses them.
	check func(req *Request, env Env) (any, error)
	// params: the action reads params.
	params bool
	run    func(ctx context.Context, h *Handle) (any, error)
}

var actions map[string]action

func init() {
	actions = map[string]action{
		"server.check":      {server: true, run: serverCheck},
		"account.create":    {server: true, store: true, service: true, product: true, check: checkCreate, run: accountCreate},
		"account.suspend":   {server: true, store: true, service: true, username: true, run: accountSuspend},
		"account.unsuspend": {server: true, store: true, service: true, username: true, run: accountUnsuspend},
		"account.terminate": {server: true, store: true, service: true, username: true, run: accountTerminate},
		"account.password":  {server: true, store: true, service: true, username: true, check: checkPassword, run: accountPassword},
		"account.package":   {server: true, store: true, service: true, username: true, product: true, check: checkServicePolicies, run: accountPackage},
		"account.info":      {server: true, store: true, service: true, username: true, run: accountInfo},
		"account.list":      {server: true, run: accountList},
		"policy.apply":      {server: true, store: true, service: true, username: true, product: true, params: true, check: checkPolicyApply, run: policyApply},
		"usage.update":      {server: true, store: true, params: true, check: checkUsageUpdate, run: usageUpdate},
		"usage.recalculate": {server: true, store: true, service: true, username: true, product: true, check: checkServicePolicies, run: usageRecalculate},
		"usage.notified":    {server: true, store: true, params: true, check: checkNotified, run: usageNotified},
		"usage.metrics":     {server: true, store: true, params: true, check: checkMetrics, run: usageMetrics},
		"render.client":     {server: true, store: true, service: true, product: true, params: true, check: checkRender, run: renderClient},
		"render.admin":      {server: true, store: true, service: true, product: true, params: true, check: checkRender, run: renderAdmin},
	}
}

// Actions lists the action names, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for k := range actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Dispatch checks the request against its action's needs and runs it within
// the server's timeout.
func Dispatch(ctx context.Context, req *Request, env Env) (any, error) {
	a, ok := actions[req.Action]
	if !ok {
		return nil, domain.Errorf(domain.EUNKNOWN, "unknown action %q; known: %s", domain.Printable(req.Action), strings.Join(Actions(), ", "))
	}
	if !a.params && !emptyParams(req.Params) {
		return nil, domain.Errorf(domain.EINVALID, "params is not used by %s; leave it out", req.Action)
	}
	if a.server {
		if err := req.Server.check(); err != nil {
			return nil, err
		}
	}
	if a.store {
		if err := req.Store.check(); err != nil {
			return nil, err
		}
	}
	if a.service {
		if err := checkService(req.Service, req.Action, a.username); err != nil {
			return nil, err
		}
	}
	if a.product {
		if req.Product == nil {
			return nil, domain.Errorf(domain.EMISSING, "product is required for %s", req.Action)
		}
		if err := req.Product.Normalize(); err != nil {
			return nil, err
		}
	}
	h := &Handle{Req: req, Env: env}
	if a.check != nil {
		p, err := a.check(req, env)
		if err != nil {
			return nil, err
		}
		h.Params = p
	}
	if a.server {
		ctx2, cancel := context.WithTimeout(ctx, time.Duration(req.Server.TimeoutSeconds)*time.Second)
		defer cancel()
		ctx = ctx2
		m, err := newManager(req.Server, env)
		if err != nil {
			return nil, err
		}
		h.Manager = m
	}
	if a.store {
		db, err := sqlite.Open(req.Store.Path)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		db.Now = env.Now
		h.Store = db
		if h.Manager != nil {
			h.Manager.Store = db
		}
	}
	return a.run(ctx, h)
}

// emptyParams reports whether params is absent or an empty object.
func emptyParams(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return true
	}
	var b bytes.Buffer
	return json.Compact(&b, raw) == nil && b.String() == "{}"
}

// fieldError puts field in front of a domain error's message unless the
// message names it already, so every refusal says which field is wrong.
func fieldError(field string, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || strings.Contains(de.Message, field) {
		return err
	}
	return &domain.Error{Code: de.Code, Message: field + ": " + de.Message, Retryable: de.Retryable}
}

func newManager(s *Server, env Env) (*account.Manager, error) {
	var pool *x509.CertPool
	if strings.TrimSpace(s.CAPem) != "" {
		var err error
		if pool, err = x509.SystemCertPool(); err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		pool.AppendCertsFromPEM([]byte(s.CAPem))
	}
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Endpoint, Secure: s.Secure, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region, RootCAs: pool})
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "server: %s", domain.Printable(err.Error()))
	}
	sc, err := s3.New(s3.Config{Endpoint: s.Endpoint, Secure: s.Secure, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region, RootCAs: pool})
	if err != nil {
		return nil, err
	}
	return &account.Manager{Admin: admin, S3: sc, ServerID: s.ID, Now: env.Now, Log: env.Log}, nil
}

func serverCheck(ctx context.Context, h *Handle) (any, error) {
	return h.Manager.CheckServer(ctx)
}

// checkCreate makes the checks Create makes once it has picked a name, on
// a sample name, so that a bad setting is refused with its field named
// before the store is opened or MinIO is asked anything.
func checkCreate(req *Request, env Env) (any, error) {
	svc, p := req.Service, req.Product
	if svc.ClientID == 0 {
		return nil, domain.Errorf(domain.EMISSING, "service.clientId is required for account.create")
	}
	sample, err := domain.RenderUsername(p.UsernameRule, domain.NameContext{ClientID: svc.ClientID, ServiceID: svc.ID, Now: env.Now()})
	if err != nil {
		return nil, fieldError("product.usernameRule", err)
	}
	if err := checkPolicies(p, sample); err != nil {
		return nil, err
	}
	if p.DefaultBucket {
		if b := domain.DefaultBucketName(sample, p.BucketSuffix); len(b) > 63 {
			return nil, domain.Errorf(domain.EINVALID, "product.bucketSuffix makes the default bucket %q longer than 63 characters; shorten it", domain.Printable(b))
		}
	}
	return nil, nil
}

func accountCreate(ctx context.Context, h *Handle) (any, error) {
	return h.Manager.Create(ctx, *h.Req.Service, *h.Req.Product)
}

// checkServicePolicies checks the product's policies for the service's user.
func checkServicePolicies(req *Request, _ Env) (any, error) {
	return nil, checkPolicies(req.Product, req.Service.Username)
}

// checkPolicies renders the product's raw policies for user and refuses
// them as Create, ChangePackage and the usage run would.
func checkPolicies(p *domain.Product, user string) error {
	if _, err := domain.RenderPolicy(p.Policy, domain.DefaultPolicy, user, "standard", p.AllowForeignResources); err != nil {
		return fieldError("product.policy", err)
	}
	if _, err := domain.RenderPolicy(p.LimitPolicy, domain.DefaultLimitPolicy, user, "limit", p.AllowForeignResources); err != nil {
		return fieldError("product.limitPolicy", err)
	}
	return nil
}

type statusResult struct {
	Username string `json:"username"`
	Enabled  bool   `json:"enabled"`
}

func accountSuspend(ctx context.Context, h *Handle) (any, error) {
	err := h.Manager.SetEnabled(ctx, *h.Req.Service, false)
	return statusResult{h.Req.Service.Username, false}, err
}

func accountUnsuspend(ctx context.Context, h *Handle) (any, error) {
	err := h.Manager.SetEnabled(ctx, *h.Req.Service, true)
	return statusResult{h.Req.Service.Username, true}, err
}

func accountTerminate(ctx context.Context, h *Handle) (any, error) {
	return h.Manager.Terminate(ctx, *h.Req.Service)
}

func checkPassword(req *Request, _ Env) (any, error) {
	if req.Service.Password == "" {
		return nil, domain.Errorf(domain.EMISSING, "service.password (the new password) is required")
	}
	return nil, fieldError("service.password", domain.ValidatePassword(req.Service.Password))
}

func accountPassword(ctx context.Context, h *Handle) (any, error) {
	err := h.Manager.ChangePassword(ctx, *h.Req.Service)
	return map[string]string{"username": h.Req.Service.Username}, err
}

func accountPackage(ctx context.Context, h *Handle) (any, error) {
	state, err := h.Manager.ChangePackage(ctx, *h.Req.Service, *h.Req.Product)
	return map[string]any{"username": h.Req.Service.Username, "group": h.Req.Product.Group, "policyState": state}, err
}

func accountInfo(ctx context.Context, h *Handle) (any, error) {
	return h.Manager.Details(ctx, *h.Req.Service)
}

func accountList(ctx context.Context, h *Handle) (any, error) {
	list, err := h.Manager.ListAccounts(ctx)
	return map[string]any{"accounts": list}, err
}

type policyParams struct {
	Mode string `json:"mode"`
}

func checkPolicyApply(req *Request, _ Env) (any, error) {
	var p policyParams
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	switch p.Mode {
	case "", "auto", string(domain.PolicyStandard), string(domain.PolicyLimited):
	default:
		return nil, domain.Errorf(domain.EINVALID, "params.mode must be auto, standard or limited, not %q", domain.Printable(p.Mode))
	}
	if err := checkPolicies(req.Product, req.Service.Username); err != nil {
		return nil, err
	}
	return &p, nil
}

func policyApply(ctx context.Context, h *Handle) (any, error) {
	p := h.Params.(*policyParams)
	state, err := h.Manager.ApplyPolicy(ctx, *h.Req.Service, *h.Req.Product, p.Mode)
	if err != nil {
		return nil, err
	}
	forced := ""
	if p.Mode == string(domain.PolicyStandard) || p.Mode == string(domain.PolicyLimited) {
		forced = p.Mode
	}
	return map[string]any{"username": h.Req.Service.Username, "policyState": state, "forced": forced}, nil
}

// MaxUsageServices bounds one usage update.
const MaxUsageServices = 50000

type usageParams struct {
	Services []account.UsageService `json:"services"`
	Mode     string                 `json:"mode"`
}

func checkUsageUpdate(req *Request, _ Env) (any, error) {
	var p usageParams
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Services == nil {
		return nil, domain.Errorf(domain.EMISSING, "params.services is required (it may be an empty list)")
	}
	if len(p.Services) > MaxUsageServices {
		return nil, domain.Errorf(domain.ETOOLARGE, "params.services holds more than %d services", MaxUsageServices)
	}
	if p.Mode != "" && p.Mode != domain.UsageScanner && p.Mode != domain.UsageExact {
		return nil, domain.Errorf(domain.EINVALID, "params.mode must be scanner or exact")
	}
	return &p, nil
}

// usageUpdate measures the listed services. A service id or user name listed
// twice is ambiguous (whose product decides the user's policy?): those
// entries get an error and are left alone, and the rest of the run goes on.
func usageUpdate(ctx context.Context, h *Handle) (any, error) {
	p := h.Params.(*usageParams)
	dups := duplicateServices(p.Services)
	if len(dups) == 0 {
		return h.Manager.UpdateUsage(ctx, p.Services, p.Mode == domain.UsageExact)
	}
	keep := make([]account.UsageService, 0, len(p.Services)-len(dups))
	for i, s := range p.Services {
		if dups[i] == nil {
			keep = append(keep, s)
		}
	}
	res, err := h.Manager.UpdateUsage(ctx, keep, p.Mode == domain.UsageExact)
	if err != nil {
		return res, err
	}
	// One report per listed service, in the request's order.
	all := make([]account.UsageReport, 0, len(p.Services))
	k := 0
	for i, s := range p.Services {
		if e := dups[i]; e != nil {
			all = append(all, account.UsageReport{ID: s.ID, Username: s.Username, Notices: []domain.Notice{}, Error: e})
			continue
		}
		all = append(all, res.Services[k])
		k++
	}
	res.Services = all
	return res, nil
}

// duplicateServices returns an error for each entry whose id, or non-empty
// user name, another entry has too.
func duplicateServices(services []account.UsageService) map[int]*account.ReportError {
	ids := make(map[int64]int, len(services))
	users := make(map[string]int, len(services))
	for _, s := range services {
		ids[s.ID]++
		if u := strings.TrimSpace(s.Username); u != "" {
			users[u]++
		}
	}
	out := map[int]*account.ReportError{}
	for i, s := range services {
		if n := ids[s.ID]; n > 1 {
			out[i] = &account.ReportError{Code: domain.EINVALID, Message: fmt.Sprintf("params.services lists service %d %d times; it was not measured", s.ID, n)}
		} else if n := users[strings.TrimSpace(s.Username)]; n > 1 {
			out[i] = &account.ReportError{Code: domain.ECONFLICT, Message: fmt.Sprintf("user name %q belongs to %d services in params.services; none of them was measured or had its policy changed", domain.Printable(s.Username), n)}
		}
	}
	return out
}

func usageRecalculate(ctx context.Context, h *Handle) (any, error) {
	s := h.Req.Service
	res, err := h.Manager.UpdateUsage(ctx, []account.UsageService{{ID: s.ID, ClientID: s.ClientID, Username: s.Username, Status: s.Status, Product: *h.Req.Product}}, true)
	if err != nil {
		return nil, err
	}
	r := res.Services[0]
	if r.Error != nil {
		return nil, &domain.Error{Code: r.Error.Code, Message: r.Error.Message}
	}
	return r, nil
}

type notifiedParams struct {
	Notices []struct {
		ServiceID int64  `json:"serviceId"`
		Kind      string `json:"kind"`
	} `json:"notices"`
}

func checkNotified(req *Request, _ Env) (any, error) {
	var p notifiedParams
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if len(p.Notices) > MaxUsageServices {
		return nil, domain.Errorf(domain.ETOOLARGE, "params.notices holds more than %d notices", MaxUsageServices)
	}
	for i, n := range p.Notices {
		if n.ServiceID <= 0 || (n.Kind != domain.NoticeWarn && n.Kind != domain.NoticeLimit) {
			return nil, domain.Errorf(domain.EINVALID, "params.notices[%d] needs a serviceId and kind warn or limit", i)
		}
	}
	return &p, nil
}

func usageNotified(ctx context.Context, h *Handle) (any, error) {
	p := h.Params.(*notifiedParams)
	for _, n := range p.Notices {
		if err := h.Store.MarkNotified(ctx, h.Req.Server.ID, n.ServiceID, n.Kind); err != nil {
			return nil, err
		}
	}
	return map[string]int{"recorded": len(p.Notices)}, nil
}

type metricsParams struct {
	Services []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	} `json:"services"`
}

func checkMetrics(req *Request, _ Env) (any, error) {
	var p metricsParams
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	for i, s := range p.Services {
		if s.ID <= 0 {
			return nil, domain.Errorf(domain.EINVALID, "params.services[%d].id must be a positive whole number", i)
		}
	}
	return &p, nil
}

func usageMetrics(ctx context.Context, h *Handle) (any, error) {
	p := h.Params.(*metricsParams)
	type tenant struct {
		ServiceID  int64   `json:"serviceId"`
		Username   string  `json:"username"`
		DiskGB     float64 `json:"diskGB"`
		MonthAvgGB float64 `json:"monthAvgGB"`
	}
	out := make([]tenant, 0, len(p.Services))
	now := h.Env.Now()
	for _, s := range p.Services {
		t := tenant{ServiceID: s.ID, Username: s.Username}
		if last, ok, err := h.Store.Latest(ctx, s.ID); err != nil {
			return nil, err
		} else if ok {
			t.DiskGB = gb(float64(last.Bytes))
		}
		avg, err := h.Store.MonthToDateAverageBytes(ctx, s.ID, now)
		if err != nil {
			return nil, err
		}
		t.MonthAvgGB = gb(avg)
		out = append(out, t)
	}
	return map[string]any{"tenants": out}, nil
}

// gb converts bytes to GB (2^30), rounded to 6 decimals.
func gb(b float64) float64 { return math.Round(b/(1<<30)*1e6) / 1e6 }

func renderClient(ctx context.Context, h *Handle) (any, error) {
	if h.Env.Render == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "no renderer")
	}
	html, err := h.Env.Render.Client(ctx, h)
	return map[string]string{"html": html}, err
}

func renderAdmin(ctx context.Context, h *Handle) (any, error) {
	if h.Env.Render == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "no renderer")
	}
	html, err := h.Env.Render.Admin(ctx, h)
	return map[string]string{"html": html}, err
}
