package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Account is what the store keeps about one WHMCS service on one server.
//
// Username is recorded before any MinIO work on create, so that a retried
// create reuses the same name. It is empty when the row was first written by
// a usage run or an admin action rather than by a create (a service older
// than the database); callers treat an empty Username as "not recorded".
type Account struct {
	ServerID  int64
	ServiceID int64
	Username  string
	Group     string
	State     domain.AccountState
	CreatedAt time.Time // set on first save, never changed after
	CheckedAt time.Time // last usage collection; zero if never
}

const accountColumns = `server_id, service_id, username, grp, warned, limit_notified, policy, forced, created_at, checked_at`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var policy, forced string
	var created, checked int64
	err := row.Scan(&a.ServerID, &a.ServiceID, &a.Username, &a.Group, &a.State.Warned, &a.State.LimitNotified,
		&policy, &forced, &created, &checked)
	a.State.Policy, a.State.Forced = domain.PolicyState(policy), domain.PolicyState(forced)
	a.CreatedAt, a.CheckedAt = fromUnix(created), fromUnix(checked)
	return a, err
}

// Account returns the account of serviceID on serverID, and false if there
// is none.
func (db *DB) Account(ctx context.Context, serverID, serviceID int64) (Account, bool, error) {
	a, err := scanAccount(db.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE server_id = ? AND service_id = ?`, serverID, serviceID))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, db.fail(err, "reading an account")
	}
	return a, true, nil
}

// AccountsByServer returns every account on serverID, by service id.
func (db *DB) AccountsByServer(ctx context.Context, serverID int64) ([]Account, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE server_id = ? ORDER BY service_id`, serverID)
	if err != nil {
		return nil, db.fail(err, "listing accounts")
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, db.fail(err, "listing accounts")
		}
		out = append(out, a)
	}
	return out, db.fail(rows.Err(), "listing accounts")
}

// SaveAccount inserts or replaces a, all fields but CreatedAt, which is kept
// from the first save (Now when a.CreatedAt is zero).
func (db *DB) SaveAccount(ctx context.Context, a Account) error {
	return db.SaveAccounts(ctx, []Account{a})
}

// SaveAccounts saves several accounts in one transaction: all or none. The
// first usage run on a server records every service it has not seen, and
// one transaction per service would take minutes for thousands of them.
func (db *DB) SaveAccounts(ctx context.Context, accounts []Account) error {
	const what = "saving an account"
	if len(accounts) == 0 {
		return nil
	}
	for _, a := range accounts {
		if err := checkPolicy(a.State.Policy, "policy"); err != nil {
			return err
		}
		if err := checkPolicy(a.State.Forced, "forced policy"); err != nil {
			return err
		}
	}
	return db.inTx(ctx, what, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO accounts (`+accountColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (server_id, service_id) DO UPDATE SET
				username = excluded.username, grp = excluded.grp,
				warned = excluded.warned, limit_notified = excluded.limit_notified,
				policy = excluded.policy, forced = excluded.forced, checked_at = excluded.checked_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, a := range accounts {
			created := a.CreatedAt
			if created.IsZero() {
				created = db.now()
			}
			if _, err := stmt.ExecContext(ctx, a.ServerID, a.ServiceID, a.Username, a.Group, a.State.Warned, a.State.LimitNotified,
				string(a.State.Policy), string(a.State.Forced), unix(created), unix(a.CheckedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteAccount removes the account of serviceID on serverID. Its daily
// history goes too unless another server still holds the service (it was
// moved), since no later run would prune a terminated service's rows. Its
// raw samples stay until they leave the billing window, so the final
// month can still be billed.
func (db *DB) DeleteAccount(ctx context.Context, serverID, serviceID int64) error {
	const what = "deleting an account"
	return db.inTx(ctx, what, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE server_id = ? AND service_id = ?`, serverID, serviceID); err != nil {
			return err
		}
		var elsewhere int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE service_id = ?`, serviceID).Scan(&elsewhere); err != nil {
			return err
		}
		if elsewhere == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM usage_daily WHERE service_id = ?`, serviceID); err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkNotified records that the shim sent a notice of kind
// (domain.NoticeWarn or domain.NoticeLimit), so it is not due again until
// usage re-arms it.
func (db *DB) MarkNotified(ctx context.Context, serverID, serviceID int64, kind string) error {
	var col string
	switch kind {
	case domain.NoticeWarn:
		col = "warned"
	case domain.NoticeLimit:
		col = "limit_notified"
	default:
		return domain.Errorf(domain.EINVALID, "notice kind must be %q or %q, not %q", domain.NoticeWarn, domain.NoticeLimit, domain.Printable(kind))
	}
	return db.upsertColumn(ctx, serverID, serviceID, col, 1, "recording a sent notice")
}

// SetForced records the admin's override: domain.PolicyStandard or
// domain.PolicyLimited pins the policy whatever the usage; "" lets usage
// decide again. Only this method writes it, so an admin's click during a
// usage run is never overwritten by the run.
func (db *DB) SetForced(ctx context.Context, serverID, serviceID int64, forced domain.PolicyState) error {
	if err := checkPolicy(forced, "forced policy"); err != nil {
		return err
	}
	return db.upsertColumn(ctx, serverID, serviceID, "forced", string(forced), "recording a forced policy")
}

// SetPolicy records the policy MinIO confirmed it applied.
func (db *DB) SetPolicy(ctx context.Context, serverID, serviceID int64, policy domain.PolicyState) error {
	if err := checkPolicy(policy, "policy"); err != nil {
		return err
	}
	return db.upsertColumn(ctx, serverID, serviceID, "policy", string(policy), "recording the applied policy")
}

// LastCheck returns when the account's usage was last collected, and false
// if it never was, for the sooner-than-daily re-check interval.
func (db *DB) LastCheck(ctx context.Context, serverID, serviceID int64) (time.Time, bool, error) {
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT checked_at FROM accounts WHERE server_id = ? AND service_id = ?`,
		serverID, serviceID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && at == 0) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, db.fail(err, "reading the last check")
	}
	return fromUnix(at), true, nil
}

// upsertColumn sets one state column, creating the row for a service the
// store has not seen (older than the database) so the fact is not lost.
// col is one of our own column names, never input.
func (db *DB) upsertColumn(ctx context.Context, serverID, serviceID int64, col string, val any, what string) error {
	conn, wait, err := db.writer(ctx)
	if err != nil {
		return db.fail(err, what)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO accounts (server_id, service_id, `+col+`, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (server_id, service_id) DO UPDATE SET `+col+` = excluded.`+col,
		serverID, serviceID, val, db.now().Unix())
	return db.failWait(err, what, wait)
}

func checkPolicy(p domain.PolicyState, field string) error {
	switch p {
	case "", domain.PolicyStandard, domain.PolicyLimited:
		return nil
	}
	return domain.Errorf(domain.EINVALID, "%s must be %q or %q, not %q", field, domain.PolicyStandard, domain.PolicyLimited, domain.Printable(string(p)))
}
