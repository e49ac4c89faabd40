package bridge

import (
	"context"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
)

// needs says which parts of the envelope an action reads.
type needs uint8

const (
	needServer needs = 1 << iota
	needStore
	needService
	needProduct
	needParams
)

// job is one action, ready to run: its params are decoded and typed.
// m is nil for actions that need no server.
type job func(ctx context.Context, m *account.Manager) (any, error)

// action is an entry of the table below: what the action needs and how to
// turn a request into its job. prepare refuses params that do not decode;
// the values are checked by the account method it calls.
type action struct {
	needs   needs
	prepare func(req *Request, env Env) (job, error)
}

var actions map[string]action

func init() {
	const (
		base    = needServer | needStore | needService
		product = base | needProduct
	)
	actions = map[string]action{
		"server.check": {needServer, func(*Request, Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) { return m.CheckServer(ctx) }, nil
		}},
		"account.create": {product, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				return m.Create(ctx, *req.Service, *req.Product)
			}, nil
		}},
		"account.suspend": {base, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				err := m.Suspend(ctx, *req.Service)
				return map[string]any{"username": req.Service.Username, "enabled": false}, err
			}, nil
		}},
		"account.unsuspend": {product, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				err := m.Unsuspend(ctx, *req.Service, *req.Product)
				return map[string]any{"username": req.Service.Username, "enabled": true}, err
			}, nil
		}},
		"account.terminate": {base, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) { return m.Terminate(ctx, *req.Service) }, nil
		}},
		"account.password": {product, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				err := m.ChangePassword(ctx, *req.Service, *req.Product)
				return map[string]string{"username": req.Service.Username}, err
			}, nil
		}},
		"account.package": {product, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				state, err := m.ChangePackage(ctx, *req.Service, *req.Product)
				return map[string]any{"username": req.Service.Username, "group": req.Product.Group, "policyState": state}, err
			}, nil
		}},
		"account.info": {base, func(req *Request, _ Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) { return m.Details(ctx, *req.Service) }, nil
		}},
		"account.list": {needServer, func(*Request, Env) (job, error) {
			return func(ctx context.Context, m *account.Manager) (any, error) {
				list, err := m.ListAccounts(ctx)
				return map[string]any{"accounts": list}, err
			}, nil
		}},
		"policy.apply":      {product | needParams, policyApply},
		"usage.update":      {needServer | needStore | needParams, usageUpdate},
		"usage.recalculate": {product | needParams, usageRecalculate},
		"usage.notified":    {needServer | needStore | needParams, usageNotified},
		"usage.metrics":     {needServer | needStore | needParams, usageMetrics},
		"render.client":     {product | needParams, renderClient},
		"render.admin":      {product | needParams, renderAdmin},
		"product.defaults":  {0, productDefaults},
	}
}

func policyApply(req *Request, _ Env) (job, error) {
	var p struct {
		Mode string `json:"mode"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		applied, err := m.ApplyPolicy(ctx, *req.Service, *req.Product, p.Mode)
		if err != nil {
			return nil, err
		}
		return map[string]any{"username": req.Service.Username, "policyState": applied.Policy, "forced": applied.Forced}, nil
	}, nil
}

func usageUpdate(req *Request, _ Env) (job, error) {
	var p struct {
		Services  []account.UsageService `json:"services"`
		Mode      string                 `json:"mode"`
		OnlyIfDue bool                   `json:"onlyIfDue"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	if p.Services == nil {
		return nil, domain.Errorf(domain.EMISSING, "params.services is required (it may be an empty list)")
	}
	if p.Mode != "" && p.Mode != domain.UsageScanner && p.Mode != domain.UsageExact {
		return nil, domain.Errorf(domain.EINVALID, "params.mode must be scanner or exact")
	}
	opts := account.UsageOptions{Exact: p.Mode == domain.UsageExact, OnlyIfDue: p.OnlyIfDue}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.UpdateUsage(ctx, p.Services, opts)
	}, nil
}

func usageRecalculate(req *Request, _ Env) (job, error) {
	var p struct {
		// Initiator is who pressed the button: "client" is rate limited.
		Initiator string `json:"initiator"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	switch p.Initiator {
	case "", "admin":
		return func(ctx context.Context, m *account.Manager) (any, error) {
			return m.Recalculate(ctx, *req.Service, *req.Product)
		}, nil
	case "client":
		return func(ctx context.Context, m *account.Manager) (any, error) {
			return m.ClientRecalculate(ctx, *req.Service, *req.Product)
		}, nil
	}
	return nil, domain.Errorf(domain.EINVALID, "params.initiator must be admin or client, not %q", domain.Printable(p.Initiator))
}

func usageNotified(req *Request, _ Env) (job, error) {
	var p struct {
		Notices []account.Notified `json:"notices"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		n, err := m.MarkNotified(ctx, p.Notices)
		return map[string]int{"recorded": n}, err
	}, nil
}

func usageMetrics(req *Request, _ Env) (job, error) {
	var p struct {
		Services []account.MetricService `json:"services"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		tenants, err := m.Metrics(ctx, p.Services)
		return map[string]any{"tenants": tenants}, err
	}, nil
}

// productDefaults answers what the product settings default to, so that
// the module's settings page shows the values the binary applies.
func productDefaults(*Request, Env) (job, error) {
	return func(context.Context, *account.Manager) (any, error) {
		return map[string]any{"product": domain.DefaultProduct(), "units": domain.Units()}, nil
	}, nil
}
