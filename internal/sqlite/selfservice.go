package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// AddAccessKey records an access key the module is about to make for the
// service, unless the service holds max keys already: counting and
// recording are one transaction, so two creates at once cannot both pass
// the maximum. A full service answers domain.ELIMIT.
func (db *DB) AddAccessKey(ctx context.Context, serverID, serviceID int64, k domain.AccessKey, max int) error {
	buckets, err := json.Marshal(nonNilStrings(k.Scope.Buckets))
	if err != nil {
		return err
	}
	return db.inTx(ctx, "recording an access key", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_keys WHERE server_id = ? AND service_id = ?`,
			serverID, serviceID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return domain.Refusef(domain.ELIMIT, domain.RefuseMaxKeys, "the service holds %d access keys, the most its product allows (%d); revoke one first", n, max)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO access_keys (server_id, service_id, access_key, label, buckets, read_only, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, serverID, serviceID, k.AccessKey, k.Label, string(buckets), k.Scope.ReadOnly,
			unix(k.Expires), unix(k.Created))
		return err
	})
}

// AccessKeys returns the keys recorded for the service, oldest first.
func (db *DB) AccessKeys(ctx context.Context, serverID, serviceID int64) ([]domain.AccessKey, error) {
	const what = "reading access keys"
	rows, err := db.read.QueryContext(ctx, `SELECT access_key, label, buckets, read_only, expires_at, created_at FROM access_keys
		WHERE server_id = ? AND service_id = ? ORDER BY created_at, access_key`, serverID, serviceID)
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	out := []domain.AccessKey{}
	for rows.Next() {
		var k domain.AccessKey
		var buckets string
		var expires, created int64
		if err := rows.Scan(&k.AccessKey, &k.Label, &buckets, &k.Scope.ReadOnly, &expires, &created); err != nil {
			return nil, db.fail(err, what)
		}
		if err := json.Unmarshal([]byte(buckets), &k.Scope.Buckets); err != nil {
			return nil, db.fail(err, what)
		}
		k.Expires, k.Created = fromUnix(expires), fromUnix(created)
		out = append(out, k)
	}
	return out, db.fail(rows.Err(), what)
}

// DeleteAccessKeys forgets the service's recorded keys: the ones named, or
// all of them when none is named (a password change that ended them).
func (db *DB) DeleteAccessKeys(ctx context.Context, serverID, serviceID int64, accessKeys ...string) error {
	return db.inTx(ctx, "forgetting access keys", func(tx *sql.Tx) error {
		if len(accessKeys) == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE server_id = ? AND service_id = ?`, serverID, serviceID)
			return err
		}
		for _, k := range accessKeys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM access_keys WHERE server_id = ? AND service_id = ? AND access_key = ?`,
				serverID, serviceID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddBucket records a bucket the module made for the service, unmeasured,
// so that the pages show it at once (a usage run then measures it). An
// account the store does not hold is left alone.
func (db *DB) AddBucket(ctx context.Context, serverID, serviceID int64, bucket string) error {
	return db.inTx(ctx, "recording a bucket", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bucket_usage (server_id, service_id, bucket, bytes, objects, versions)
			SELECT ?, ?, ?, 0, 0, 0 WHERE EXISTS (SELECT 1 FROM accounts WHERE server_id = ? AND service_id = ?)
			ON CONFLICT (server_id, service_id, bucket) DO NOTHING`, serverID, serviceID, bucket, serverID, serviceID)
		return err
	})
}

// RemoveBucket forgets a bucket the module removed, with the bucket policy
// it kept for it.
func (db *DB) RemoveBucket(ctx context.Context, serverID, serviceID int64, bucket string) error {
	return db.inTx(ctx, "forgetting a bucket", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM bucket_usage WHERE server_id = ? AND service_id = ? AND bucket = ?`,
			serverID, serviceID, bucket); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM withheld_policies WHERE server_id = ? AND service_id = ? AND bucket = ?`,
			serverID, serviceID, bucket)
		return err
	})
}

// RateLimit records that serviceID does action now unless it did so n
// times within the last per: then it records nothing and returns false
// with the time the oldest of those ages out. The n slots are rows of the
// throttle table (action#0 ... action#n-1); check and record are one
// transaction, so clicks at once cannot pass together.
func (db *DB) RateLimit(ctx context.Context, serviceID int64, action string, n int, per time.Duration) (bool, time.Time, error) {
	now := db.now()
	var next time.Time
	allowed := false
	err := db.inTx(ctx, "rate-limiting an action", func(tx *sql.Tx) error {
		slot, oldest := -1, int64(0)
		for i := range n {
			var at int64
			err := tx.QueryRowContext(ctx, `SELECT at FROM throttle WHERE service_id = ? AND action = ?`,
				serviceID, action+"#"+strconv.Itoa(i)).Scan(&at)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				at = 0
			case err != nil:
				return err
			}
			if slot < 0 || at < oldest {
				slot, oldest = i, at
			}
		}
		if slot < 0 {
			return nil
		}
		if next = time.Unix(oldest, 0).UTC().Add(per); oldest != 0 && now.Before(next) {
			return nil
		}
		allowed = true
		_, err := tx.ExecContext(ctx, `INSERT INTO throttle (service_id, action, at) VALUES (?, ?, ?)
			ON CONFLICT (service_id, action) DO UPDATE SET at = excluded.at`, serviceID, action+"#"+strconv.Itoa(slot), now.Unix())
		return err
	})
	return allowed, next, err
}
