package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// The lookups of NameClashes. Each is two index searches (the exact
// names, then the range of extensions): an OR of both would make SQLite
// walk every name of the server, and INDEXED BY keeps it from preferring
// the primary key. ?1..?4 are the server, a second value, the range's ends,
// ?5 the rows wanted and ?6… the exact names (in is their list).
func clashAccounts(in string) string {
	return `SELECT username, service_id FROM accounts INDEXED BY accounts_lusername
		WHERE server_id = ?1 AND lower(username) IN (` + in + `) AND service_id <> ?2 AND username <> ''
		UNION ALL SELECT username, service_id FROM accounts INDEXED BY accounts_lusername
		WHERE server_id = ?1 AND lower(username) >= ?3 AND lower(username) < ?4 AND service_id <> ?2
		LIMIT ?5`
}

func clashUsers(in string) string {
	return `SELECT name, 0 FROM server_names WHERE server_id = ?1 AND kind = 'user' AND lname IN (` + in + `)
			UNION ALL SELECT name, 0 FROM server_names WHERE server_id = ?1 AND kind = 'user' AND lname >= ?3 AND lname < ?4
			LIMIT ?5`
}

func clashTerminated(in string) string {
	return `SELECT username, service_id FROM terminated_names INDEXED BY terminated_lname
		WHERE server_id = ?1 AND lower(username) IN (` + in + `)
		UNION ALL SELECT username, service_id FROM terminated_names INDEXED BY terminated_lname
		WHERE server_id = ?1 AND lower(username) >= ?3 AND lower(username) < ?4
		LIMIT ?5`
}

const clashBuckets = `SELECT name, 0 FROM server_names WHERE server_id = ?1 AND kind = 'bucket' AND lname = ?2
			UNION ALL SELECT name, 0 FROM server_names WHERE server_id = ?1 AND kind = 'bucket' AND lname >= ?3 AND lname < ?4
			LIMIT ?5`

// NameClashes returns up to limit names recorded here whose bucket
// namespace could overlap name's (domain.NamespacesOverlap), compared
// lower-cased: accounts of other services than exceptService, whether or
// not their user exists yet (a create in progress recorded it), names
// terminated since the last listing, then the users and the buckets (only
// those in name's own namespace) of the server's last full listing. Each is an indexed lookup, whatever the
// number of tenants.
func (db *DB) NameClashes(ctx context.Context, serverID, exceptService int64, name string, limit int) ([]domain.NameClash, error) {
	const what = "looking for names that overlap a new user's"
	n := strings.ToLower(name)
	lo, hi := domain.ExtensionRange(n)
	exact := append([]any{n}, anySlice(domain.HyphenPrefixes(n))...)
	marks := make([]string, len(exact))
	for i := range marks {
		marks[i] = fmt.Sprintf("?%d", 6+i)
	}
	in := strings.Join(marks, ", ")
	var out []domain.NameClash
	// scan runs q with ?1..?4 = a1, a2, lo, hi, ?5 = the rows still wanted
	// and ?6… = exact (when q names them).
	scan := func(kind, q string, a1, a2 any, lo, hi string, exact []any) error {
		if len(out) >= limit {
			return nil
		}
		args := append([]any{a1, a2, lo, hi, limit - len(out)}, exact...)
		rows, err := db.read.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := domain.NameClash{Kind: kind}
			if err := rows.Scan(&c.Name, &c.ServiceID); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	}
	err := scan(domain.NameAccount, clashAccounts(in), serverID, exceptService, lo, hi, exact)
	if err == nil {
		err = scan(domain.NameTerminated, clashTerminated(in), serverID, nil, lo, hi, exact)
	}
	if err == nil {
		err = scan(domain.NameUser, clashUsers(in), serverID, nil, lo, hi, exact)
	}
	if err == nil {
		err = scan(domain.NameBucket, clashBuckets, serverID, n, lo, hi, nil)
	}
	return out, db.fail(err, what)
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// SaveServerNames replaces the server's listed names with users and
// buckets, as listed at at.
func (db *DB) SaveServerNames(ctx context.Context, serverID int64, users, buckets []string, at time.Time) error {
	return db.inTx(ctx, "recording the server's names", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM server_names WHERE server_id = ?`, serverID); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO server_names (server_id, kind, lname, name) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for kind, names := range map[string][]string{domain.NameUser: users, domain.NameBucket: buckets} {
			for _, name := range names {
				if _, err := ins.ExecContext(ctx, serverID, kind, strings.ToLower(name), name); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO server_name_lists (server_id, taken_at, users, buckets) VALUES (?, ?, ?, ?)
			ON CONFLICT (server_id) DO UPDATE SET taken_at = excluded.taken_at, users = excluded.users, buckets = excluded.buckets`,
			serverID, unix(at), len(users), len(buckets))
		return err
	})
}

// ServerNameList says when the server's names were last listed and how
// many it held, and false if they never were.
func (db *DB) ServerNameList(ctx context.Context, serverID int64) (domain.NameList, bool, error) {
	var l domain.NameList
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT taken_at, users, buckets FROM server_name_lists WHERE server_id = ?`, serverID).
		Scan(&at, &l.Users, &l.Buckets)
	if errors.Is(err, sql.ErrNoRows) {
		return l, false, nil
	}
	if err != nil {
		return l, false, db.fail(err, "reading when the server's names were listed")
	}
	l.TakenAt = fromUnix(at)
	return l, true, nil
}

// ForgetServerName drops a listed name that is no longer on the server (a
// create found it gone, or terminate removed it): kind is domain.NameUser
// or domain.NameBucket.
func (db *DB) ForgetServerName(ctx context.Context, serverID int64, kind, name string) error {
	return db.inTx(ctx, "forgetting a listed name", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM server_names WHERE server_id = ? AND kind = ? AND lname = ? AND name = ?`,
			serverID, kind, strings.ToLower(name), name)
		return err
	})
}

// SaveGroupCheck records the check of a product group.
func (db *DB) SaveGroupCheck(ctx context.Context, serverID int64, c domain.GroupCheck) error {
	pols, err := json.Marshal(nonNilStrings(c.Policies))
	if err != nil {
		return err
	}
	return db.inTx(ctx, "recording a group check", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO group_checks (server_id, grp, policies, problem, checked_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (server_id, grp) DO UPDATE SET policies = excluded.policies, problem = excluded.problem, checked_at = excluded.checked_at`,
			serverID, c.Group, string(pols), c.Problem, unix(c.CheckedAt))
		return err
	})
}

// GroupCheck returns the last check of group, and false if there was none.
func (db *DB) GroupCheck(ctx context.Context, serverID int64, group string) (domain.GroupCheck, bool, error) {
	c := domain.GroupCheck{Group: group}
	var pols string
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT policies, problem, checked_at FROM group_checks WHERE server_id = ? AND grp = ?`,
		serverID, group).Scan(&pols, &c.Problem, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err == nil {
		err = json.Unmarshal([]byte(pols), &c.Policies)
	}
	if err != nil {
		return c, false, db.fail(err, "reading a group check")
	}
	c.CheckedAt = fromUnix(at)
	return c, true, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SaveServerVersion records the version the server reported at at.
func (db *DB) SaveServerVersion(ctx context.Context, serverID int64, version string, at time.Time) error {
	return db.inTx(ctx, "recording the server's version", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO server_status (server_id, version, checked_at) VALUES (?, ?, ?)
			ON CONFLICT (server_id) DO UPDATE SET version = excluded.version, checked_at = excluded.checked_at`,
			serverID, version, unix(at))
		return err
	})
}

// ServerVersion returns the version last recorded for the server, and
// false if none was.
func (db *DB) ServerVersion(ctx context.Context, serverID int64) (string, time.Time, bool, error) {
	var v string
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT version, checked_at FROM server_status WHERE server_id = ?`, serverID).Scan(&v, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, db.fail(err, "reading the server's version")
	}
	return v, fromUnix(at), true, nil
}

// AddTerminatedName records that terminate removed user at at.
func (db *DB) AddTerminatedName(ctx context.Context, serverID int64, user string, serviceID int64, at time.Time) error {
	return db.inTx(ctx, "recording a terminated name", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO terminated_names (server_id, username, service_id, at) VALUES (?, ?, ?, ?)
			ON CONFLICT (server_id, username) DO UPDATE SET service_id = excluded.service_id, at = excluded.at`,
			serverID, user, serviceID, unix(at))
		return err
	})
}

// TerminatedNames returns the names terminated on the server that a
// listing has not yet found free, with when.
func (db *DB) TerminatedNames(ctx context.Context, serverID int64) (map[string]time.Time, error) {
	const what = "reading terminated names"
	rows, err := db.read.QueryContext(ctx, `SELECT username, at FROM terminated_names WHERE server_id = ?`, serverID)
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var u string
		var at int64
		if err := rows.Scan(&u, &at); err != nil {
			return nil, db.fail(err, what)
		}
		out[u] = fromUnix(at)
	}
	return out, db.fail(rows.Err(), what)
}

// ClearTerminatedName forgets a terminated name that a listing taken at
// listedAt found free; one terminated again after that listing stays.
func (db *DB) ClearTerminatedName(ctx context.Context, serverID int64, user string, listedAt time.Time) error {
	return db.inTx(ctx, "forgetting a terminated name", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM terminated_names WHERE server_id = ? AND username = ? AND at <= ?`,
			serverID, user, unix(listedAt))
		return err
	})
}
