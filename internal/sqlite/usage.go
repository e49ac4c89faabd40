package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// RecordCollection stores one collection run of serverID in a single
// transaction: the samples, their daily aggregates, each measured account's
// state (states, keyed by service id) with checked_at set to Now, and the
// pruning of old history. Either all of it lands or none does. States of
// accounts the store does not hold are dropped: a run never re-creates the
// row of an account terminated while it measured.
//
// The daily rows are the history: each sampled service's are kept for its
// retention (retentionDays, keyed by service id; domain.DefaultHistoryDays
// when absent), today being the last of those days. Raw samples are the
// billing data: kept from the start of the previous calendar month, for
// every service, whatever the retention, so that month-to-date averages
// always have their data and the table stays bounded however often runs
// come.
//
// Recording the same sample twice (a retried run) changes nothing. A
// state's EgressNotified is written only when it is zero (re-armed). A
// state's Forced is not written: only the admin's actions change it
// (ChangeAccount), so an admin's click during the run survives.
func (db *DB) RecordCollection(ctx context.Context, serverID int64, samples []domain.Sample, states map[int64]domain.AccountState, retentionDays map[int64]int) error {
	const what = "recording a usage collection"
	for _, st := range states {
		if err := checkPolicy(st.Policy, "policy"); err != nil {
			return err
		}
	}
	now := db.now()
	return db.inTx(ctx, what, func(tx *sql.Tx) error {
		insSample, err := tx.PrepareContext(ctx, `INSERT INTO samples (at, service_id, bytes, objects, versions, source)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (at, service_id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer insSample.Close()
		insTime, err := tx.PrepareContext(ctx, `INSERT INTO sample_times (at) VALUES (?) ON CONFLICT (at) DO NOTHING`)
		if err != nil {
			return err
		}
		defer insTime.Close()
		times := map[int64]bool{}
		upDaily, err := tx.PrepareContext(ctx, `INSERT INTO usage_daily (service_id, day, samples, sum_bytes, max_bytes, last_bytes, last_at)
			VALUES (?1, ?2, 1, ?3, ?3, ?3, ?4)
			ON CONFLICT (service_id, day) DO UPDATE SET
				samples = samples + 1,
				sum_bytes = sum_bytes + excluded.sum_bytes,
				max_bytes = MAX(max_bytes, excluded.max_bytes),
				last_bytes = CASE WHEN excluded.last_at >= last_at THEN excluded.last_bytes ELSE last_bytes END,
				last_at = MAX(last_at, excluded.last_at)`)
		if err != nil {
			return err
		}
		defer upDaily.Close()
		for _, s := range samples {
			at := s.At.UTC().Unix()
			if !times[at] {
				if _, err := insTime.ExecContext(ctx, at); err != nil {
					return err
				}
				times[at] = true
			}
			res, err := insSample.ExecContext(ctx, at, s.ServiceID, s.Bytes, s.Objects, s.Versions, s.Source)
			if err != nil {
				return err
			}
			// Only a new sample counts towards its day, so a retry is harmless.
			// A second collection within the same second replaces the figure:
			// the newer measurement wins, and its day is corrected by the
			// difference.
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				if err := replaceSample(ctx, tx, s, at); err != nil {
					return err
				}
				continue
			}
			if _, err := upDaily.ExecContext(ctx, s.ServiceID, dayStart(s.At).Unix(), s.Bytes, at); err != nil {
				return err
			}
		}

		// Only rows that exist are updated: an account terminated while the
		// run measured it stays gone.
		// egress_notified is never set here, only cleared when the run
		// re-armed it (a zero month): setting it is MarkEgressNotified's,
		// on the shim's confirmation, as for the other notice flags.
		upState, err := tx.PrepareContext(ctx, `UPDATE accounts SET warned = ?, limit_notified = ?, policy = ?,
				policy_sig = CASE WHEN ? = '' THEN policy_sig ELSE ? END, checked_at = ?,
				egress_notified = CASE WHEN ? THEN 0 ELSE egress_notified END
			WHERE server_id = ? AND service_id = ?`)
		if err != nil {
			return err
		}
		defer upState.Close()
		kept := make(map[int64]bool, len(states))
		for id, st := range states {
			res, err := upState.ExecContext(ctx, st.Warned, st.LimitNotified, string(st.Policy), st.PolicySig, st.PolicySig,
				now.Unix(), st.EgressNotified.IsZero(), serverID, id)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n > 0 {
				kept[id] = true
			}
		}
		if err := syncBuckets(ctx, tx, serverID, samples, kept); err != nil {
			return err
		}

		if err := db.prune(ctx, tx, now, samples, retentionDays); err != nil {
			return err
		}
		return nil
	})
}

// bulkBucketRead is the number of services from which syncBuckets reads
// the server's bucket rows in one query rather than one query each.
const bulkBucketRead = 64

// syncBuckets makes the stored buckets of each sample's service (those in
// kept: accounts that still exist) the sample's, writing only rows that
// changed: a usage run over 10,000 tenants whose figures mostly stand
// still writes little.
func syncBuckets(ctx context.Context, tx *sql.Tx, serverID int64, samples []domain.Sample, kept map[int64]bool) error {
	var todo []*domain.Sample
	for i := range samples {
		if samples[i].Buckets != nil && kept[samples[i].ServiceID] {
			todo = append(todo, &samples[i])
		}
	}
	if len(todo) == 0 {
		return nil
	}
	type figures struct{ bytes, objects, versions int64 }
	stored := map[int64]map[string]figures{}
	read := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			var f figures
			if err := rows.Scan(&id, &name, &f.bytes, &f.objects, &f.versions); err != nil {
				return err
			}
			if stored[id] == nil {
				stored[id] = map[string]figures{}
			}
			stored[id][name] = f
		}
		return rows.Err()
	}
	const cols = `SELECT service_id, bucket, bytes, objects, versions FROM bucket_usage WHERE server_id = ?`
	if len(todo) >= bulkBucketRead {
		if err := read(tx.QueryContext(ctx, cols, serverID)); err != nil {
			return err
		}
	} else {
		for _, s := range todo {
			if err := read(tx.QueryContext(ctx, cols+` AND service_id = ?`, serverID, s.ServiceID)); err != nil {
				return err
			}
		}
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO bucket_usage (server_id, service_id, bucket, bytes, objects, versions)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (server_id, service_id, bucket) DO UPDATE SET
		bytes = excluded.bytes, objects = excluded.objects, versions = excluded.versions`)
	if err != nil {
		return err
	}
	defer put.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM bucket_usage WHERE server_id = ? AND service_id = ? AND bucket = ?`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, s := range todo {
		had := stored[s.ServiceID]
		seen := make(map[string]bool, len(s.Buckets))
		for _, b := range s.Buckets {
			seen[b.Name] = true
			if f, ok := had[b.Name]; ok && f == (figures{b.Bytes, b.Objects, b.Versions}) {
				continue
			}
			if _, err := put.ExecContext(ctx, serverID, s.ServiceID, b.Name, b.Bytes, b.Objects, b.Versions); err != nil {
				return err
			}
		}
		for name := range had {
			if !seen[name] {
				if _, err := del.ExecContext(ctx, serverID, s.ServiceID, name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// SetBuckets makes buckets the stored buckets of the service's account,
// when the account exists, without recording a measurement (a new
// account's empty default bucket: the pages show it at once, and the
// account stays due for its first measurement).
func (db *DB) SetBuckets(ctx context.Context, serverID, serviceID int64, buckets []domain.Bucket) error {
	return db.inTx(ctx, "recording an account's buckets", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM accounts WHERE server_id = ? AND service_id = ?`, serverID, serviceID).Scan(&n); err != nil || n == 0 {
			return err
		}
		if buckets == nil {
			buckets = []domain.Bucket{}
		}
		return syncBuckets(ctx, tx, serverID, []domain.Sample{{ServiceID: serviceID, Buckets: buckets}}, map[int64]bool{serviceID: true})
	})
}

const bucketUsageQuery = `SELECT bucket, bytes, objects, versions FROM bucket_usage
	WHERE server_id = ? AND service_id = ? ORDER BY bucket`

// BucketUsage returns the service's buckets with the figures of its last
// measurement, by name.
func (db *DB) BucketUsage(ctx context.Context, serverID, serviceID int64) ([]domain.Bucket, error) {
	const what = "reading an account's buckets"
	rows, err := db.read.QueryContext(ctx, bucketUsageQuery, serverID, serviceID)
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	out := []domain.Bucket{}
	for rows.Next() {
		var b domain.Bucket
		if err := rows.Scan(&b.Name, &b.Bytes, &b.Objects, &b.Versions); err != nil {
			return nil, db.fail(err, what)
		}
		out = append(out, b)
	}
	return out, db.fail(rows.Err(), what)
}

// replaceSample overwrites the sample of s.ServiceID at second at with s,
// and moves its day's sum and last figure by the difference. The same
// figures again change nothing.
func replaceSample(ctx context.Context, tx *sql.Tx, s domain.Sample, at int64) error {
	var old int64
	if err := tx.QueryRowContext(ctx, `SELECT bytes FROM samples WHERE at = ? AND service_id = ?`, at, s.ServiceID).Scan(&old); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE samples SET bytes = ?, objects = ?, versions = ?, source = ?
		WHERE at = ? AND service_id = ?`, s.Bytes, s.Objects, s.Versions, s.Source, at, s.ServiceID); err != nil {
		return err
	}
	if old == s.Bytes {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE usage_daily SET
			sum_bytes = sum_bytes + ?1 - ?2,
			max_bytes = MAX(max_bytes, ?1),
			last_bytes = CASE WHEN last_at = ?3 THEN ?1 ELSE last_bytes END
		WHERE service_id = ?4 AND day = ?5`, s.Bytes, old, at, s.ServiceID, dayStart(s.At).Unix())
	return err
}

// prune deletes daily rows past each service's retention (one range on the
// service's key each) and raw samples before the billing window (one range
// at the head of the table).
func (db *DB) prune(ctx context.Context, tx *sql.Tx, now time.Time, samples []domain.Sample, retentionDays map[int64]int) error {
	keep := make(map[int64]int, len(retentionDays)+len(samples))
	for _, s := range samples {
		keep[s.ServiceID] = domain.DefaultHistoryDays
	}
	for id, days := range retentionDays {
		if days <= 0 {
			days = domain.DefaultHistoryDays
		}
		keep[id] = days
	}
	delDaily, err := tx.PrepareContext(ctx, `DELETE FROM usage_daily WHERE service_id = ? AND day < ?`)
	if err != nil {
		return err
	}
	defer delDaily.Close()
	for id, days := range keep {
		cutoff := dayStart(now).AddDate(0, 0, 1-days)
		if _, err := delDaily.ExecContext(ctx, id, cutoff.Unix()); err != nil {
			return err
		}
	}
	billing := billingStart(now).Unix()
	if _, err := tx.ExecContext(ctx, `DELETE FROM samples WHERE at < ?`, billing); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sample_times WHERE at < ?`, billing)
	return err
}

// billingStart is the oldest raw sample kept: the start of the previous
// month, so last month's average can still be computed early in this one,
// with its carry-in from the month before it.
func billingStart(now time.Time) time.Time {
	return monthStart(now).AddDate(0, -1, 0)
}

// Latest returns the service's newest sample, and false if it has none.
// Once the raw sample has left the billing window (a service no longer
// measured), it is rebuilt from the daily history: Bytes and At only.
func (db *DB) Latest(ctx context.Context, serviceID int64) (domain.Sample, bool, error) {
	const what = "reading the latest sample"
	s := domain.Sample{ServiceID: serviceID}
	var at int64
	err := db.read.QueryRowContext(ctx, `SELECT last_at, last_bytes FROM usage_daily
		WHERE service_id = ? ORDER BY day DESC LIMIT 1`, serviceID).Scan(&at, &s.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Sample{}, false, nil
	}
	if err != nil {
		return domain.Sample{}, false, db.fail(err, what)
	}
	s.At = fromUnix(at)
	err = db.read.QueryRowContext(ctx, `SELECT bytes, objects, versions, source FROM samples
		WHERE at = ? AND service_id = ?`, at, serviceID).Scan(&s.Bytes, &s.Objects, &s.Versions, &s.Source)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return domain.Sample{}, false, db.fail(err, what)
	}
	return s, true, nil
}

// Daily returns the service's days from the UTC day holding from to the UTC
// day holding to, both included, oldest first. Days without samples are
// absent: a gap in the chart is a gap in collection.
func (db *DB) Daily(ctx context.Context, serviceID int64, from, to time.Time) ([]domain.DayUsage, error) {
	const what = "reading daily usage"
	rows, err := db.read.QueryContext(ctx, `SELECT day, sum_bytes / samples, max_bytes, last_bytes FROM usage_daily
		WHERE service_id = ? AND day >= ? AND day <= ? ORDER BY day`,
		serviceID, dayStart(from).Unix(), dayStart(to).Unix())
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	var out []domain.DayUsage
	for rows.Next() {
		var d domain.DayUsage
		var day int64
		if err := rows.Scan(&day, &d.AvgBytes, &d.MaxBytes, &d.LastBytes); err != nil {
			return nil, db.fail(err, what)
		}
		d.Day = fromUnix(day)
		out = append(out, d)
	}
	return out, db.fail(rows.Err(), what)
}

// Monthly returns the service's calendar months (UTC), the months-1 before
// now's month and now's month itself, oldest first. Months without samples
// are absent, as in Daily.
func (db *DB) Monthly(ctx context.Context, serviceID int64, months int, now time.Time) ([]domain.MonthUsage, error) {
	if months <= 0 {
		return nil, nil
	}
	from := monthStart(now).AddDate(0, 1-months, 0)
	days, err := db.Daily(ctx, serviceID, from, now)
	if err != nil {
		return nil, err
	}
	var out []domain.MonthUsage
	var sum int64
	for _, d := range days {
		m := monthStart(d.Day)
		if len(out) == 0 || !out[len(out)-1].Month.Equal(m) {
			out = append(out, domain.MonthUsage{Month: m})
			sum = 0
		}
		cur := &out[len(out)-1]
		sum += d.AvgBytes
		cur.Days++
		cur.AvgBytes = sum / int64(cur.Days)
		cur.MaxBytes = max(cur.MaxBytes, d.MaxBytes)
	}
	return out, nil
}

// MonthToDateAverageBytes returns the time-weighted mean of the service's
// usage from the start of now's UTC month to now: each sample's value holds
// until the next sample (the last one until now). The time before the
// month's first sample counts at the value of the last sample before the
// month (in the previous month) if there is one, and is left out otherwise
// (a service created this month). Deleting data just before a snapshot therefore saves only the
// time it was deleted for. Without any sample it returns 0.
func (db *DB) MonthToDateAverageBytes(ctx context.Context, serviceID int64, now time.Time) (float64, error) {
	const what = "reading the month-to-date usage"
	start, end := monthStart(now).Unix(), now.UTC().Unix()
	// One read transaction, so that a run committing between the two
	// queries cannot be half seen.
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, db.fail(err, what)
	}
	defer tx.Rollback()

	var (
		begin, t0, v0 int64 // measured span start; current value and since when
		have          bool
	)
	// CROSS JOIN keeps sample_times the outer loop: walk the times, look
	// each (at, service) up. The carry-in is sought in the previous month
	// only, which is what the billing window keeps.
	err = tx.QueryRowContext(ctx, `SELECT s.bytes FROM sample_times t CROSS JOIN samples s ON s.at = t.at AND s.service_id = ?
		WHERE t.at >= ? AND t.at < ? ORDER BY t.at DESC LIMIT 1`,
		serviceID, billingStart(now).Unix(), start).Scan(&v0)
	switch {
	case err == nil:
		begin, t0, have = start, start, true
	case !errors.Is(err, sql.ErrNoRows):
		return 0, db.fail(err, what)
	}
	rows, err := tx.QueryContext(ctx, `SELECT t.at, s.bytes FROM sample_times t CROSS JOIN samples s ON s.at = t.at AND s.service_id = ?
		WHERE t.at >= ? AND t.at <= ? ORDER BY t.at`,
		serviceID, start, end)
	if err != nil {
		return 0, db.fail(err, what)
	}
	defer rows.Close()
	var area float64 // byte-seconds
	for rows.Next() {
		var at, v int64
		if err := rows.Scan(&at, &v); err != nil {
			return 0, db.fail(err, what)
		}
		if have {
			area += float64(v0) * float64(at-t0)
		} else {
			begin = at
		}
		t0, v0, have = at, v, true
	}
	if err := rows.Err(); err != nil {
		return 0, db.fail(err, what)
	}
	if !have {
		return 0, nil
	}
	area += float64(v0) * float64(end-t0)
	span := end - begin
	if span <= 0 {
		return float64(v0), nil // now is the first instant measured
	}
	return area / float64(span), nil
}
