package account

import (
	"context"
	"sort"

	"github.com/puqminios3/puqminio/internal/domain"
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
	// Warnings name what the server lets every tenant do that the module
	// cannot govern (RGW's SNS topics); the check passes all the same.
	Warnings []string `json:"warnings,omitempty"`
}

// CheckServer reads the server's version, mode and drives, and whether the
// credentials can administer users: a refusal to list users says they
// cannot, any other failure to answer is the connection's.
func (m *Manager) CheckServer(ctx context.Context) (ServerStatus, error) {
	if m.onRGW() {
		return m.rgwCheck(ctx)
	}
	si, err := m.Admin.ServerInfo(ctx)
	if err != nil {
		return ServerStatus{}, err
	}
	st := ServerStatus{Version: si.Version(), Mode: si.Mode, Servers: len(si.Servers), DrivesOnline: si.DrivesOnline(), DrivesOffline: si.DrivesOffline()}
	users, err := m.Admin.ListUsers(ctx)
	switch domain.ErrorCode(err) {
	case "":
		st.CanManageUsers, st.Users = true, len(users)
	case domain.EUNAUTHORIZED, domain.EREMOTE:
	default:
		return st, err
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
	if m.onRGW() {
		return nil, domain.Errorf(domain.EUNSUPPORTED, "listing the accounts of a Ceph RGW server is not offered; WHMCS's list of services is the record")
	}
	users, err := m.Admin.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]AccountSummary, 0, len(users))
	for name, u := range users {
		out = append(out, AccountSummary{Username: name, Enabled: u.Enabled, Policies: nonNil(u.Policies), Groups: nonNil(u.Groups)})
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
	if err := checkService(svc); err != nil {
		return d, err
	}
	st, err := m.store()
	if err != nil {
		return d, err
	}
	if m.onRGW() {
		if err := m.rgwDetails(ctx, svc, &d); err != nil {
			return d, err
		}
	} else {
		info, err := m.Admin.UserInfo(ctx, svc.Username)
		if err != nil && !isNotFound(err) {
			return d, err
		}
		if err == nil {
			d.Exists, d.Enabled, d.Groups, d.Policies = true, info.Enabled, nonNil(info.Groups), nonNil(info.Policies)
		}
	}
	rec, err := m.record(ctx, st, svc)
	if err != nil {
		return d, err
	}
	d.PolicyState, d.Forced = rec.State.Policy, rec.State.Forced
	return d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
