package bridge

import (
	"context"
	"encoding/json"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
)

// The self-service actions (docs/bridge.md, "Self-service"): what a client
// makes in the client area, and what an admin removes from the admin tab.
// Each names who asks in params.initiator; a client's refusal also carries
// error.text, the reason in the client's language (service.lang), which is
// what the module's custom function returns for WHMCS to show.
var selfServiceActions = map[string]func(*Request, Env) (job, error){
	"bucket.create":     bucketCreate,
	"bucket.delete":     bucketDelete,
	"bucket.versioning": bucketVersioning,
	"bucket.lifecycle":  bucketLifecycle,
	"bucket.public":     bucketPublic,
	"key.create":        keyCreate,
	"key.revoke":        keyRevoke,
}

// initiator checks params.initiator, which every self-service action needs.
func initiator(s string) (account.Initiator, error) {
	switch account.Initiator(s) {
	case account.ByClient, account.ByAdmin:
		return account.Initiator(s), nil
	case "":
		return "", domain.Refusef(domain.EMISSING, domain.RefuseInput, "params.initiator (client or admin) is required")
	}
	return "", domain.Refusef(domain.EINVALID, domain.RefuseInput, "params.initiator must be client or admin, not %q", domain.Printable(s))
}

// selfParams decodes a self-service action's params into p and returns
// who asked, from p's initiator field (from points at it).
func selfParams(req *Request, p any, from *string) (account.Initiator, error) {
	if err := decodeParams(req.Params, p); err != nil {
		return "", err
	}
	return initiator(*from)
}

func bucketCreate(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator  string `json:"initiator"`
		Name       string `json:"name"`
		ObjectLock bool   `json:"objectLock"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.CreateBucket(ctx, *req.Service, *req.Product, account.NewBucket{Name: p.Name, ObjectLock: p.ObjectLock}, who)
	}, nil
}

func bucketDelete(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator string `json:"initiator"`
		Bucket    string `json:"bucket"`
		// Confirm repeats the bucket's name; a bucket that holds objects
		// is deleted only with it.
		Confirm string `json:"confirm"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.DeleteBucket(ctx, *req.Service, *req.Product, p.Bucket, p.Confirm, who)
	}, nil
}

func bucketVersioning(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator string `json:"initiator"`
		Bucket    string `json:"bucket"`
		Enabled   *bool  `json:"enabled"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	if p.Enabled == nil {
		return nil, domain.Refusef(domain.EMISSING, domain.RefuseInput, "params.enabled (true or false) is required")
	}
	on := *p.Enabled
	return func(ctx context.Context, m *account.Manager) (any, error) {
		err := m.SetVersioning(ctx, *req.Service, *req.Product, p.Bucket, on, who)
		return map[string]any{"bucket": p.Bucket, "enabled": on}, err
	}, nil
}

func bucketLifecycle(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator      string `json:"initiator"`
		Bucket         string `json:"bucket"`
		ExpireDays     int    `json:"expireDays"`
		NoncurrentDays int    `json:"noncurrentDays"`
		// Confirm accepts that rules which delete objects do so.
		Confirm bool `json:"confirm"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	l := domain.Lifecycle{ExpireDays: p.ExpireDays, NoncurrentDays: p.NoncurrentDays}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		err := m.SetLifecycle(ctx, *req.Service, *req.Product, p.Bucket, l, p.Confirm, who)
		return map[string]any{"bucket": p.Bucket, "expireDays": l.ExpireDays, "noncurrentDays": l.NoncurrentDays}, err
	}, nil
}

func bucketPublic(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator string `json:"initiator"`
		Bucket    string `json:"bucket"`
		Public    *bool  `json:"public"`
		Prefix    string `json:"prefix"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	if p.Public == nil {
		return nil, domain.Refusef(domain.EMISSING, domain.RefuseInput, "params.public (true or false) is required")
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.SetPublicRead(ctx, *req.Service, *req.Product, p.Bucket, *p.Public, p.Prefix, who)
	}, nil
}

func keyCreate(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator string   `json:"initiator"`
		Label     string   `json:"label"`
		Buckets   []string `json:"buckets"`
		ReadOnly  bool     `json:"readOnly"`
		Expires   string   `json:"expires"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	k := account.NewKey{Label: p.Label, Buckets: p.Buckets, ReadOnly: p.ReadOnly, Expires: p.Expires}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		return m.CreateKey(ctx, *req.Service, *req.Product, k, who)
	}, nil
}

func keyRevoke(req *Request, _ Env) (job, error) {
	var p struct {
		Initiator string `json:"initiator"`
		AccessKey string `json:"accessKey"`
	}
	who, err := selfParams(req, &p, &p.Initiator)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, m *account.Manager) (any, error) {
		err := m.RevokeKey(ctx, *req.Service, *req.Product, p.AccessKey, who)
		return map[string]string{"accessKey": p.AccessKey}, err
	}, nil
}

// refusalText is the reason a client's self-service action failed, in
// the client's language, or "" when the request is not a client's
// self-service action (or no page renderer is at hand).
func refusalText(req *Request, env Env, err error) string {
	if req == nil || req.Service == nil || selfServiceActions[req.Action] == nil || env.Renderer == nil {
		return ""
	}
	var p struct {
		Initiator string `json:"initiator"`
	}
	if json.Unmarshal(req.Params, &p) != nil || account.Initiator(p.Initiator) != account.ByClient {
		return ""
	}
	r, rerr := env.Renderer("")
	if rerr != nil {
		return ""
	}
	return r.Refusal(req.Service.Lang, domain.ErrorRefusal(err), domain.ErrorCode(err))
}
