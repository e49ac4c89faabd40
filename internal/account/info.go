package account

import (
	"context"
	"errors"
	"sort"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// ServerStatus is what Test Connection reports.
type ServerStatus struct {
	Version        string `json:"version"`
	Mode           string `json:"mode"`
	Servers        int    `json:"servers"`
	DrivesOnline   int    `json:"drivesOnline"`
	DrivesOffline  int    `json:"drivesOffline"`
	CanManageUsers bool   `json:"canManageUsers"`
	Users          int    `json:"users"`
}

// CheckServer reads the server's version, mode and drives, and whether the
// credentials can administer users.
func (m *Manager) CheckServer(ctx context.Context) (ServerStatus, error) {
	si, err := m.Admin.ServerInfo(ctx)
	if err != nil {
		return ServerStatus{}, translate(err, "read server info")
	}
	st := ServerStatus{Version: si.Version(), Mode: si.Mode, Servers: len(si.Servers), DrivesOnline: si.DrivesOnline(), DrivesOffline: si.DrivesOffline()}
	users, err := m.Admin.ListUsers(ctx)
	switch {
	case err == nil:
		st.CanManageUsers, st.Users = true, len(users)
	case domain.ErrorCode(translate(err, "")) == domain.EUNAUTHORIZED:
	default:
		var me *minioadmin.Error
		if !errors.As(err, &me) {
			return st, translate(err, "list users")
		}
	}
	return st, nil
}

// AccountSummary is one MinIO user, for WHMCS's server sync tool.
type AccountSummary struct {
	Username string   `json:"username"`
	Enabled  bool     `json:"enabled"`
	Policies []string `json:"policies"`
	Groups   []string `json:"groups"`
}

// ListAccounts lists the server's users.
func (m *Manager) ListAccounts(ctx context.Context) ([]AccountSummary, error) {
	users, err := m.Admin.ListUsers(ctx)
	if err != nil {
		return nil, translate(err, "list users")
	}
	out := make([]AccountSummary, 0, len(users))
	for name, u := range users {
		out = append(out, AccountSummary{Username: name, Enabled: u.Enabled, Policies: splitPolicies(u.PolicyName), Groups: nonNil(u.MemberOf)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// AccountDetails is what the admin tab shows of one account.
type AccountDetails struct {
	Username    string             `json:"username"`
	Exists      bool               `json:"exists"`
	Enabled     bool               `json:"enabled"`
	Groups      []string           `json:"groups"`
	Policies    []string           `json:"policies"`
	PolicyState domain.PolicyState `json:"policyState"`
	Forced      domain.PolicyState `json:"forced"`
}

// Details reads the account's user on MinIO and its stored policy state.
func (m *Manager) Details(ctx context.Context, svc domain.ServiceRef) (AccountDetails, error) {
	d := AccountDetails{Username: svc.Username, Groups: []string{}, Policies: []string{}}
	if err := domain.ValidateExistingUsername(svc.Username); err != nil {
		return d, err
	}
	info, err := m.Admin.UserInfo(ctx, svc.Username)
	if err != nil && !isNotFound(err) {
		return d, translate(err, "read user "+svc.Username)
	}
	if err == nil {
		d.Exists, d.Enabled, d.Groups, d.Policies = true, info.Enabled, nonNil(info.MemberOf), splitPolicies(info.PolicyName)
	}
	if m.Store != nil {
		rec, err := m.record(ctx, svc)
		if err != nil {
			return d, err
		}
		d.PolicyState, d.Forced = rec.State.Policy, rec.State.Forced
	}
	return d, nil
}

func splitPolicies(s string) []string {
	out := []string{}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
