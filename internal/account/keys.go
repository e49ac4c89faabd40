package account

import (
	"context"
	"errors"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// NewKey is an access key the client area asks for: an optional label, a
// scope (buckets, read-only) and an expiry ("" for none, a date, or an
// RFC 3339 time).
type NewKey struct {
	Label    string   `json:"label"`
	Buckets  []string `json:"buckets"`
	ReadOnly bool     `json:"readOnly"`
	Expires  string   `json:"expires"`
}

// KeyMade answers CreateKey. SecretKey is shown to the client once and
// kept nowhere.
type KeyMade struct {
	AccessKey string          `json:"accessKey"`
	SecretKey string          `json:"secretKey"`
	Label     string          `json:"label"`
	Scope     domain.KeyScope `json:"scope"`
	Expires   string          `json:"expires,omitempty"` // RFC 3339, UTC
}

// keyDraws bounds how often a taken access key name is drawn again.
const keyDraws = 3

// CreateKey makes an access key for the tenant, within the product's
// maximum of keys: a name the module draws (capitals, so no user can ever
// be named so), a secret, the scope's policy (MinIO intersects it with
// the tenant's own, so a key never reaches beyond it) and the expiry. The
// key is recorded before it is made and forgotten again if the server
// refuses it: the store never misses a key the module made, and a crash
// in between leaves at most a record of a key that does not work, which
// revoking clears.
func (m *Manager) CreateKey(ctx context.Context, svc domain.ServiceRef, p domain.Product, req NewKey, who Initiator) (KeyMade, error) {
	if err := selfInput(svc, &p); err != nil {
		return KeyMade{}, err
	}
	label, err := domain.CleanKeyLabel(req.Label)
	if err != nil {
		return KeyMade{}, err
	}
	scope := domain.KeyScope{Buckets: req.Buckets, ReadOnly: req.ReadOnly}
	if err := scope.Normalize(svc.Username); err != nil {
		return KeyMade{}, err
	}
	expires, err := domain.ParseKeyExpiry(req.Expires, m.now())
	if err != nil {
		return KeyMade{}, err
	}
	policy, err := domain.KeyPolicy(svc.Username, scope)
	if err != nil {
		return KeyMade{}, err
	}
	max := p.SelfLimits().Keys
	if max == 0 {
		return KeyMade{}, domain.Refusef(domain.ELIMIT, domain.RefuseMaxKeys, "the product lets clients make no access keys in the client area")
	}
	st, _, err := m.selfStart(ctx, svc, who, selfGate{write: true})
	if err != nil {
		return KeyMade{}, err
	}
	unlock, err := m.lockForMaking(ctx, st, svc)
	if err != nil {
		return KeyMade{}, err
	}
	defer unlock()
	for draw := 1; ; draw++ {
		access, secret := domain.NewAccessKeyPair()
		rec := domain.AccessKey{AccessKey: access, Label: label, Scope: scope, Expires: expires, Created: m.now().UTC().Truncate(time.Second)}
		if err := st.AddAccessKey(ctx, m.ServerID, svc.ID, rec, max); err != nil {
			return KeyMade{}, err
		}
		err := m.Admin.CreateAccessKey(ctx, domain.NewKeyRequest{Parent: svc.Username, AccessKey: access, SecretKey: secret,
			Policy: policy, Description: label, Expires: expires})
		if err != nil {
			// The key was not made (a refusal), or perhaps was (no
			// answer): either way it is forgotten and deleted, so that
			// nothing the store does not know works.
			if derr := m.Admin.DeleteServiceAccount(ctx, access); derr != nil && !isNotFound(derr) {
				m.log().Warn("access key not made may exist", "service", svc.ID, "accessKey", access, "err", domain.ErrorMessage(derr))
				return KeyMade{}, err
			}
			if ferr := st.DeleteAccessKeys(ctx, m.ServerID, svc.ID, access); ferr != nil {
				return KeyMade{}, errors.Join(err, ferr)
			}
			if domain.ErrorCode(err) == domain.ECONFLICT && draw < keyDraws {
				continue
			}
			return KeyMade{}, err
		}
		out := KeyMade{AccessKey: access, SecretKey: secret, Label: label, Scope: scope}
		if !expires.IsZero() {
			out.Expires = expires.Format("2006-01-02T15:04:05Z")
		}
		m.log().Info("access key created", "service", svc.ID, "accessKey", access, "buckets", len(scope.Buckets), "readOnly", scope.ReadOnly, "by", who)
		return out, nil
	}
}

// RevokeKey deletes one of the access keys the module made for the tenant
// (a key made with S3 tools is not the client area's). A client may revoke
// while the service is suspended: it only takes access away.
func (m *Manager) RevokeKey(ctx context.Context, svc domain.ServiceRef, p domain.Product, accessKey string, who Initiator) error {
	if err := selfInput(svc, &p); err != nil {
		return err
	}
	if err := domain.CheckAccessKeyName("params.accessKey", accessKey); err != nil {
		return err
	}
	st, _, err := m.selfStart(ctx, svc, who, selfGate{write: true, whileSuspended: true})
	if err != nil {
		return err
	}
	keys, err := st.AccessKeys(ctx, m.ServerID, svc.ID)
	if err != nil {
		return err
	}
	found := false
	for _, k := range keys {
		found = found || k.AccessKey == accessKey
	}
	if !found {
		return domain.Refusef(domain.ENOTFOUND, domain.RefuseNotFound, "params.accessKey %s is not an access key the client area made for %s", accessKey, svc.Username)
	}
	if err := m.Admin.DeleteServiceAccount(ctx, accessKey); err != nil && !isNotFound(err) {
		return err
	}
	if err := st.DeleteAccessKeys(ctx, m.ServerID, svc.ID, accessKey); err != nil {
		return err
	}
	m.log().Info("access key revoked", "service", svc.ID, "accessKey", accessKey, "by", who)
	return nil
}

// Keys are the access keys page's data: the keys the module made for the
// tenant, from the store (listing them on the server is an answer MinIO
// encrypts with an Argon2id), and what the account allows now.
type Keys struct {
	Keys      []domain.AccessKey
	Max       int
	Suspended bool
	Buckets   []domain.Bucket // to choose a key's scope from
}

// ListKeys gathers the access keys page of svc under product p.
func (m *Manager) ListKeys(ctx context.Context, svc domain.ServiceRef, p domain.Product) (Keys, error) {
	var out Keys
	if err := p.NormalizeForDisplay(); err != nil {
		return out, err
	}
	if err := checkService(svc); err != nil {
		return out, err
	}
	if err := m.selfSupported(); err != nil {
		return out, err
	}
	st, err := m.store()
	if err != nil {
		return out, err
	}
	if err := m.checkOwner(ctx, st, svc); err != nil {
		return out, err
	}
	rec, _, err := st.Account(ctx, m.ServerID, svc.ID)
	if err != nil {
		return out, err
	}
	out.Max, out.Suspended = p.SelfLimits().Keys, rec.Suspended || inactive(svc.Status)
	if out.Keys, err = st.AccessKeys(ctx, m.ServerID, svc.ID); err != nil {
		return out, err
	}
	out.Buckets, err = st.BucketUsage(ctx, m.ServerID, svc.ID)
	return out, err
}
