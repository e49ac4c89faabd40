package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// accountColumns are the columns SaveAccounts writes; reads add the ones
// only ChangeAccount and RecordCollection write.
const (
	accountColumns = `server_id, service_id, username, grp, warned, limit_notified, policy, forced, created_at, checked_at`
	readColumns    = accountColumns + `, suspended, terminating, policy_sig, egress_notified`
)

func scanAccount(row interface{ Scan(...any) error }) (domain.Account, error) {
	var a domain.Account
	var policy, forced string
	var created, checked, egress int64
	err := row.Scan(&a.ServerID, &a.ServiceID, &a.Username, &a.Group, &a.State.Warned, &a.State.LimitNotified,
		&policy, &forced, &created, &checked, &a.Suspended, &a.Terminating, &a.State.PolicySig, &egress)
	a.State.Policy, a.State.Forced = domain.PolicyState(policy), domain.PolicyState(forced)
	a.CreatedAt, a.CheckedAt = fromUnix(created), fromUnix(checked)
	a.State.EgressNotified = fromUnix(egress)
	return a, err
}

// Account returns the account of serviceID on serverID, and false if there
// is none.
func (db *DB) Account(ctx context.Context, serverID, serviceID int64) (domain.Account, bool, error) {
	a, err := scanAccount(db.read.QueryRowContext(ctx, `SELECT `+readColumns+` FROM accounts
		WHERE server_id = ? AND service_id = ?`, serverID, serviceID))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Account{}, false, nil
	}
	if err != nil {
		return domain.Account{}, false, db.fail(err, "reading an account")
	}
	return a, true, nil
}

// AccountByUsername returns the account that recorded user on serverID,
// and false if none did.
func (db *DB) AccountByUsername(ctx context.Context, serverID int64, user string) (domain.Account, bool, error) {
	a, err := scanAccount(db.read.QueryRowContext(ctx, `SELECT `+readColumns+` FROM accounts
		WHERE server_id = ? AND username = ? ORDER BY service_id LIMIT 1`, serverID, user))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Account{}, false, nil
	}
	if err != nil {
		return domain.Account{}, false, db.fail(err, "finding an account by user name")
	}
	return a, true, nil
}

// AccountsByServer returns every account on serverID, by service id.
func (db *DB) AccountsByServer(ctx context.Context, serverID int64) ([]domain.Account, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+readColumns+` FROM accounts
		WHERE server_id = ? ORDER BY service_id`, serverID)
	if err != nil {
		return nil, db.fail(err, "listing accounts")
	}
	defer rows.Close()
	var out []domain.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, db.fail(err, "listing accounts")
		}
		out = append(out, a)
	}
	return out, db.fail(rows.Err(), "listing accounts")
}

// SaveAccounts inserts or replaces several accounts, all fields but
// CreatedAt (kept from the first save; now when zero), in one transaction:
// all or none. It records new accounts: create's claimed name, and the
// services a usage run sees first, where one transaction per service would
// take minutes for thousands of them. Changes to a known account go
// through ChangeAccount.
func (db *DB) SaveAccounts(ctx context.Context, accounts []domain.Account) error {
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM bucket_usage WHERE server_id = ? AND service_id = ?`, serverID, serviceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE server_id = ? AND service_id = ?`, serverID, serviceID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM withheld_policies WHERE server_id = ? AND service_id = ?`, serverID, serviceID)
		return err
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
	return db.upsert(ctx, serverID, serviceID, "", []column{{col, 1}}, "recording a sent notice")
}

// MarkEgressNotified records that the shim sent the egress warning of
// month (domain.NoticeEgress), so it is not due again that month unless
// egress goes back under the allowance. A month older than the one
// recorded is ignored: a late confirmation never undoes a newer one.
func (db *DB) MarkEgressNotified(ctx context.Context, serverID, serviceID int64, month time.Time) error {
	const what = "recording a sent egress notice"
	m := domain.MonthStart(month)
	conn, wait, err := db.writer(ctx)
	if err != nil {
		return db.fail(err, what)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO accounts (server_id, service_id, created_at, egress_notified) VALUES (?, ?, ?, ?)
		ON CONFLICT (server_id, service_id) DO UPDATE SET egress_notified = MAX(egress_notified, excluded.egress_notified)`,
		serverID, serviceID, db.now().Unix(), m.Unix())
	return db.failWait(err, what, wait)
}

// ChangeAccount writes the fields ch names and leaves every other field as
// it is: an admin's click never rewrites the notice flags a usage run set
// meanwhile, nor a run the forced policy. A service the store has not seen
// (older than the database) gets a row, so the fact is not lost; a new row,
// or one without a user name yet, records ch.Username.
func (db *DB) ChangeAccount(ctx context.Context, serverID, serviceID int64, ch domain.AccountChange) error {
	var cols []column
	if ch.Group != nil {
		cols = append(cols, column{"grp", *ch.Group})
	}
	if ch.Policy != "" {
		if err := checkPolicy(ch.Policy, "policy"); err != nil {
			return err
		}
		cols = append(cols, column{"policy", string(ch.Policy)})
	}
	if ch.PolicySig != "" {
		cols = append(cols, column{"policy_sig", ch.PolicySig})
	}
	if ch.Forced != nil {
		if err := checkPolicy(*ch.Forced, "forced policy"); err != nil {
			return err
		}
		cols = append(cols, column{"forced", string(*ch.Forced)})
	}
	if ch.Suspended != nil {
		cols = append(cols, column{"suspended", *ch.Suspended})
	}
	if ch.Terminating != nil {
		cols = append(cols, column{"terminating", *ch.Terminating})
	}
	return db.upsert(ctx, serverID, serviceID, ch.Username, cols, "changing an account")
}

// column is one column of the accounts table and its new value. Names are
// our own constants, never input.
type column struct {
	name  string
	value any
}

// upsert sets cols on the account's row in one statement, creating the row
// when there is none, and records username where the row has none.
func (db *DB) upsert(ctx context.Context, serverID, serviceID int64, username string, cols []column, what string) error {
	names := []string{"server_id", "service_id", "username", "created_at"}
	args := []any{serverID, serviceID, username, db.now().Unix()}
	sets := []string{"username = CASE WHEN username = '' THEN excluded.username ELSE username END"}
	for _, c := range cols {
		names = append(names, c.name)
		args = append(args, c.value)
		sets = append(sets, c.name+" = excluded."+c.name)
	}
	conn, wait, err := db.writer(ctx)
	if err != nil {
		return db.fail(err, what)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO accounts (`+strings.Join(names, ", ")+`)
		VALUES (?`+strings.Repeat(", ?", len(names)-1)+`)
		ON CONFLICT (server_id, service_id) DO UPDATE SET `+strings.Join(sets, ", "), args...)
	return db.failWait(err, what, wait)
}

func checkPolicy(p domain.PolicyState, field string) error {
	switch p {
	case "", domain.PolicyStandard, domain.PolicyLimited:
		return nil
	}
	return domain.Errorf(domain.EINVALID, "%s must be %q or %q, not %q", field, domain.PolicyStandard, domain.PolicyLimited, domain.Printable(string(p)))
}

// WithholdPolicy keeps a bucket policy the module is taking off the bucket,
// to put it back later. A policy already kept for the bucket stays: it is
// the tenant's, and what the bucket holds now may be an intermediate state.
func (db *DB) WithholdPolicy(ctx context.Context, serverID, serviceID int64, w domain.WithheldPolicy) error {
	return db.inTx(ctx, "keeping a withheld bucket policy", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO withheld_policies (server_id, service_id, bucket, policy, reason, at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, service_id, bucket) DO NOTHING`,
			serverID, serviceID, w.Bucket, w.Policy, w.Reason, unix(w.At))
		return err
	})
}

// WithheldPolicies returns the bucket policies kept for the service, by
// bucket name.
func (db *DB) WithheldPolicies(ctx context.Context, serverID, serviceID int64) ([]domain.WithheldPolicy, error) {
	const what = "reading withheld bucket policies"
	rows, err := db.read.QueryContext(ctx, `SELECT bucket, policy, reason, at FROM withheld_policies
		WHERE server_id = ? AND service_id = ? ORDER BY bucket`, serverID, serviceID)
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	var out []domain.WithheldPolicy
	for rows.Next() {
		var w domain.WithheldPolicy
		var at int64
		if err := rows.Scan(&w.Bucket, &w.Policy, &w.Reason, &at); err != nil {
			return nil, db.fail(err, what)
		}
		w.At = fromUnix(at)
		out = append(out, w)
	}
	return out, db.fail(rows.Err(), what)
}

// ReleaseWithheld forgets the policy kept for bucket (it was put back, or
// the bucket is gone).
func (db *DB) ReleaseWithheld(ctx context.Context, serverID, serviceID int64, bucket string) error {
	return db.inTx(ctx, "releasing a withheld bucket policy", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM withheld_policies WHERE server_id = ? AND service_id = ? AND bucket = ?`,
			serverID, serviceID, bucket)
		return err
	})
}

// Throttle records that serviceID does action now, unless it did less than
// every ago: then it records nothing and returns false with the time the
// action is allowed again. Check and record are one transaction, so two
// clicks at once cannot both pass.
func (db *DB) Throttle(ctx context.Context, serviceID int64, action string, every time.Duration) (bool, time.Time, error) {
	now := db.now()
	var next time.Time
	allowed := false
	err := db.inTx(ctx, "rate-limiting an action", func(tx *sql.Tx) error {
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT at FROM throttle WHERE service_id = ? AND action = ?`, serviceID, action).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil {
			if next = time.Unix(last, 0).UTC().Add(every); now.Before(next) {
				return nil
			}
		}
		allowed = true
		_, err = tx.ExecContext(ctx, `INSERT INTO throttle (service_id, action, at) VALUES (?, ?, ?)
			ON CONFLICT (service_id, action) DO UPDATE SET at = excluded.at`, serviceID, action, now.Unix())
		return err
	})
	return allowed, next, err
}
