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
		"names.refresh":     {needServer | needStore | needParams, namesRefresh},
	}
	for name, prepare := range selfServiceActions {
		actions[name] = action{product | needParams, prepare}
	}
}

func namesRefresh(req *Request, _ Env) (job, error) {
	var p struct {
		// OnlyIfStale keeps a listing younger than half an hour.
		OnlyIfStale bool `json:"onlyIfStale"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.RefreshNames(ctx, p.OnlyIfStale)
	}, nil
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

// usageServiceWire is a service of a usage update as the request gives
// it: with its product, or naming one of params.products by its key (a
// run over 50,000 services sends each product once).
type usageServiceWire struct {
	ID         int64           `json:"id"`
	ClientID   int64           `json:"clientId"`
	Username   string          `json:"username"`
	Status     string          `json:"status"`
	Product    *domain.Product `json:"product"`
	ProductKey string          `json:"productKey"`
}

// keyedProduct is one entry of params.products.
type keyedProduct struct {
	Key     string          `json:"key"`
	Product *domain.Product `json:"product"`
}

func usageUpdate(req *Request, _ Env) (job, error) {
	var p struct {
		Services  []usageServiceWire `json:"services"`
		Products  []keyedProduct     `json:"products"`
		Mode      string             `json:"mode"`
		OnlyIfDue bool               `json:"onlyIfDue"`
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
	byKey, err := productsByKey(p.Products)
	if err != nil {
		return nil, err
	}
	services := make([]account.UsageService, len(p.Services))
	for i, w := range p.Services {
		prod, err := productOf(i, w.Product, w.ProductKey, byKey)
		if err != nil {
			return nil, err
		}
		services[i] = account.UsageService{ID: w.ID, ClientID: w.ClientID, Username: w.Username, Status: w.Status, Product: prod}
	}
	opts := account.UsageOptions{Exact: p.Mode == domain.UsageExact, OnlyIfDue: p.OnlyIfDue}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.UpdateUsage(ctx, services, opts)
	}, nil
}

// productsByKey indexes params.products by key, refusing an entry without
// a key or a product and a key given twice.
func productsByKey(products []keyedProduct) (map[string]*domain.Product, error) {
	byKey := make(map[string]*domain.Product, len(products))
	for i, kp := range products {
		switch {
		case kp.Key == "":
			return nil, domain.Errorf(domain.EMISSING, "params.products[%d].key is required", i)
		case kp.Product == nil:
			return nil, domain.Errorf(domain.EMISSING, "params.products[%d].product is required", i)
		case byKey[kp.Key] != nil:
			return nil, domain.Errorf(domain.EINVALID, "params.products[%d].key %q is given twice", i, domain.Printable(kp.Key))
		}
		byKey[kp.Key] = kp.Product
	}
	return byKey, nil
}

// productOf is the product of params.services[i]: its own, the entry of
// params.products its key names, or, with neither, every setting at its
// default (as before products were keyed).
func productOf(i int, own *domain.Product, key string, byKey map[string]*domain.Product) (*domain.Product, error) {
	switch {
	case own != nil && key != "":
		return nil, domain.Errorf(domain.EINVALID, "params.services[%d] gives both product and productKey; send one", i)
	case key != "":
		if p := byKey[key]; p != nil {
			return p, nil
		}
		return nil, domain.Errorf(domain.EINVALID, "params.services[%d].productKey %q names no entry of params.products", i, domain.Printable(key))
	case own == nil:
		return &domain.Product{}, nil
	}
	return own, nil
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

// metricServiceWire is a service of usage.metrics as the request gives
// it: its product (whether traffic is measured) inline or by key, as in
// usage.update.
type metricServiceWire struct {
	ID         int64           `json:"id"`
	Username   string          `json:"username"`
	Product    *domain.Product `json:"product"`
	ProductKey string          `json:"productKey"`
}

func usageMetrics(req *Request, _ Env) (job, error) {
	var p struct {
		Services []metricServiceWire `json:"services"`
		Products []keyedProduct      `json:"products"`
	}
	if err := decodeParams(req.Params, &p); err != nil {
		return nil, err
	}
	byKey, err := productsByKey(p.Products)
	if err != nil {
		return nil, err
	}
	services := make([]account.MetricService, len(p.Services))
	for i, w := range p.Services {
		prod, err := productOf(i, w.Product, w.ProductKey, byKey)
		if err != nil {
			return nil, err
		}
		services[i] = account.MetricService{ID: w.ID, Username: w.Username, Product: prod}
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		tenants, err := m.Metrics(ctx, services)
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
