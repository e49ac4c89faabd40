package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// TrafficDedupWindow is how long the key of a counted request is kept, so
// that a redelivery of it is recognised. MinIO delivers a batch again when
// our answer did not reach it (we were killed after the commit, or its
// 5-second timeout passed while we waited for the lock) and when it
// restarts between our answer and deleting the batch from its queue
// directory: the first within seconds, the second after MinIO's downtime.
// Two days covers a MinIO outage over a weekend's night; each kept key
// costs about 30 bytes, so at 100 requests a second the table holds some
// 17 million rows, about 500 MB.
const TrafficDedupWindow = 48 * time.Hour

// TrafficResult says what one RecordTraffic did.
type TrafficResult struct {
	Counted    int // requests added to the counters
	Duplicates int // requests counted before: a redelivery
}

// trafficKey is one row of traffic_hourly.
type trafficKey struct {
	service, hour int64
	bucket        string
}

// RecordTraffic counts the requests recs of serverID in one transaction
// that is on disk, WAL synced, when it returns nil: each request not
// counted before is attributed (domain.AttributeTraffic, with the user
// names of serverID's accounts as they are in this transaction) and added
// to its service's, hour's and bucket's counters. A request counted before
// (the same Key and At) is skipped, so delivering a batch again changes
// nothing. Either all of recs are dealt with or none is.
func (db *DB) RecordTraffic(ctx context.Context, serverID int64, recs []domain.TrafficRecord) (TrafficResult, error) {
	const what = "recording traffic"
	var res TrafficResult
	if len(recs) == 0 {
		return res, nil
	}
	for _, r := range recs {
		if r.Ingress < 0 || r.Egress < 0 || r.Headers < 0 {
			return res, domain.Errorf(domain.EINVALID, "traffic of request %x: byte counts must not be negative", r.Key)
		}
		if r.At.Unix() <= 0 {
			return res, domain.Errorf(domain.EINVALID, "traffic of request %x: no time", r.Key)
		}
	}
	now := db.now().Unix()
	err := db.inDurableTx(ctx, what, func(tx *sql.Tx) error {
		insSeen, err := tx.PrepareContext(ctx, `INSERT INTO traffic_seen (at, key, seen) VALUES (?, ?, ?)
			ON CONFLICT (at, key) DO NOTHING`)
		if err != nil {
			return err
		}
		defer insSeen.Close()
		lookup, err := tx.PrepareContext(ctx, `SELECT service_id FROM accounts WHERE server_id = ? AND username = ?`)
		if err != nil {
			return err
		}
		defer lookup.Close()
		var lookupErr error
		known := map[string][]int64{}
		services := func(user string) []int64 {
			if ids, ok := known[user]; ok {
				return ids
			}
			rows, err := lookup.QueryContext(ctx, serverID, user)
			if err != nil {
				lookupErr = err
				return nil
			}
			defer rows.Close()
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					lookupErr = err
					return nil
				}
				ids = append(ids, id)
			}
			if err := rows.Err(); err != nil {
				lookupErr = err
				return nil
			}
			known[user] = ids
			return ids
		}

		sums := map[trafficKey]domain.Traffic{}
		for _, r := range recs {
			at := r.At.Unix()
			ins, err := insSeen.ExecContext(ctx, at, int64(r.Key), now)
			if err != nil {
				return err
			}
			if n, err := ins.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				res.Duplicates++
				continue
			}
			svc := domain.AttributeTraffic(r, services)
			if lookupErr != nil {
				return lookupErr
			}
			k := trafficKey{service: svc, hour: at - at%3600, bucket: r.Bucket}
			t := sums[k]
			t.Add(domain.Traffic{Ingress: r.Ingress, Egress: r.Egress, Headers: r.Headers, Requests: 1})
			sums[k] = t
			res.Counted++
		}
		return addTraffic(ctx, tx, serverID, sums)
	})
	if err != nil {
		return TrafficResult{}, err
	}
	return res, nil
}

// RecordHourlyTraffic counts traffic that serverID summed per bucket and
// hour itself (Ceph RGW's usage log), read for the hours before until, in
// one transaction that is on disk, WAL synced, when it returns nil: the
// caller then trims what it read from the server. Each bucket-hour is
// added to its account's counters when serverID's accounts hold that
// service under that user name, else to Unattributed (an owner that is not
// this store's: another installation's tenant, a terminated account).
//
// until becomes the end of the hours counted on serverID, and hours before
// the end already recorded are skipped: the same hour read again (a failed
// trim, or two runs at once) counts once. So a read must cover whole,
// settled hours: what an hour gains after it was counted is not counted.
func (db *DB) RecordHourlyTraffic(ctx context.Context, serverID int64, until time.Time, hours []domain.HourlyTraffic) (domain.HourlyCount, error) {
	const what = "recording hourly traffic"
	var res domain.HourlyCount
	if until.Unix() <= 0 || until.Unix()%3600 != 0 {
		return res, domain.Errorf(domain.EINVALID, "hourly traffic must be read up to the start of an hour, not %s", until.UTC().Format(time.RFC3339))
	}
	for _, h := range hours {
		at := h.Hour.Unix()
		switch {
		case h.Ingress < 0 || h.Egress < 0 || h.Headers < 0 || h.Requests < 0:
			return res, domain.Errorf(domain.EINVALID, "traffic of bucket %q at %s: counts must not be negative", domain.Printable(h.Bucket), h.Hour.UTC().Format(time.RFC3339))
		case at <= 0 || at%3600 != 0 || at >= until.Unix():
			return res, domain.Errorf(domain.EINVALID, "traffic of bucket %q: %s is not the start of an hour before %s", domain.Printable(h.Bucket), h.Hour.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
		}
	}
	err := db.inDurableTx(ctx, what, func(tx *sql.Tx) error {
		var counted int64
		switch err := tx.QueryRowContext(ctx, `SELECT until FROM traffic_read WHERE server_id = ?`, serverID).Scan(&counted); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		}
		lookup, err := tx.PrepareContext(ctx, `SELECT count(*) FROM accounts WHERE server_id = ? AND service_id = ? AND username = ?`)
		if err != nil {
			return err
		}
		defer lookup.Close()
		type account struct {
			service int64
			user    string
		}
		known := map[account]bool{}
		sums := map[trafficKey]domain.Traffic{}
		for _, h := range hours {
			at := h.Hour.Unix()
			if at < counted {
				res.Skipped++
				continue
			}
			svc := domain.Unattributed
			if a := (account{h.Service, h.User}); a.service != domain.Unattributed {
				ok, seen := known[a]
				if !seen {
					var n int
					if err := lookup.QueryRowContext(ctx, serverID, a.service, a.user).Scan(&n); err != nil {
						return err
					}
					ok = n > 0
					known[a] = ok
				}
				if ok {
					svc = a.service
				}
			}
			k := trafficKey{service: svc, hour: at, bucket: h.Bucket}
			t := sums[k]
			t.Add(h.Traffic)
			sums[k] = t
			res.Counted++
		}
		if err := addTraffic(ctx, tx, serverID, sums); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO traffic_read (server_id, until) VALUES (?, ?)
			ON CONFLICT (server_id) DO UPDATE SET until = max(until, excluded.until)`, serverID, until.Unix())
		return err
	})
	if err != nil {
		return domain.HourlyCount{}, err
	}
	return res, nil
}

// TrafficReadUntil returns the end of the hours of serverID that
// RecordHourlyTraffic counted, and false when it counted none.
func (db *DB) TrafficReadUntil(ctx context.Context, serverID int64) (time.Time, bool, error) {
	const what = "reading the traffic read mark"
	var until int64
	err := db.read.QueryRowContext(ctx, `SELECT until FROM traffic_read WHERE server_id = ?`, serverID).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, db.fail(err, what)
	}
	return fromUnix(until), true, nil
}

// addTraffic adds sums to serverID's counters.
func addTraffic(ctx context.Context, tx *sql.Tx, serverID int64, sums map[trafficKey]domain.Traffic) error {
	up, err := tx.PrepareContext(ctx, `INSERT INTO traffic_hourly (service_id, hour, server_id, bucket, ingress, egress, headers, requests)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (service_id, hour, server_id, bucket) DO UPDATE SET
			ingress = ingress + excluded.ingress, egress = egress + excluded.egress,
			headers = headers + excluded.headers, requests = requests + excluded.requests`)
	if err != nil {
		return err
	}
	defer up.Close()
	for k, t := range sums {
		if _, err := up.ExecContext(ctx, k.service, k.hour, serverID, k.bucket, t.Ingress, t.Egress, t.Headers, t.Requests); err != nil {
			return err
		}
	}
	return nil
}

// PruneTraffic forgets the keys of requests counted more than
// TrafficDedupWindow ago and returns how many it removed. It deletes one
// hour of request times per transaction, so that the receiver's writes and
// the usage run never wait long behind it. A key is kept for the window
// after it was written whatever the request's own time, so a backlog
// delivered late is protected as long as a fresh one.
func (db *DB) PruneTraffic(ctx context.Context) (int64, error) {
	const what = "pruning traffic keys"
	cutoff := db.now().Add(-TrafficDedupWindow).Unix()
	var oldest sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(at) FROM traffic_seen`).Scan(&oldest); err != nil {
		return 0, db.fail(err, what)
	}
	var total int64
	for from := oldest.Int64; oldest.Valid && from < cutoff; from += 3600 {
		to := min(from+3600, cutoff)
		err := db.inTx(ctx, what, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM traffic_seen WHERE at >= ? AND at < ? AND seen < ?`, from, to, cutoff)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// TrafficStore is the store of one server's traffic receiver
// (minioaudit.Store).
type TrafficStore struct {
	DB       *DB
	ServerID int64
}

// Record counts recs (RecordTraffic) and returns how many were counted
// before.
func (s TrafficStore) Record(ctx context.Context, recs []domain.TrafficRecord) (int, error) {
	res, err := s.DB.RecordTraffic(ctx, s.ServerID, recs)
	return res.Duplicates, err
}

// Prune forgets old request keys (PruneTraffic).
func (s TrafficStore) Prune(ctx context.Context) (int64, error) { return s.DB.PruneTraffic(ctx) }

// TrafficTotal returns the service's traffic in the hours that start in
// [from, to).
func (db *DB) TrafficTotal(ctx context.Context, serviceID int64, from, to time.Time) (domain.Traffic, error) {
	const what = "reading traffic"
	var t domain.Traffic
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(ingress), 0), COALESCE(SUM(egress), 0),
		COALESCE(SUM(headers), 0), COALESCE(SUM(requests), 0)
		FROM traffic_hourly WHERE service_id = ? AND hour >= ? AND hour < ?`,
		serviceID, from.Unix(), to.Unix()).Scan(&t.Ingress, &t.Egress, &t.Headers, &t.Requests)
	return t, db.fail(err, what)
}

// TrafficDaily returns the service's traffic per UTC day, from the day
// holding from to the day holding to, both included, oldest first. Days
// without traffic are absent.
func (db *DB) TrafficDaily(ctx context.Context, serviceID int64, from, to time.Time) ([]domain.TrafficDay, error) {
	const what = "reading daily traffic"
	rows, err := db.read.QueryContext(ctx, `SELECT hour - hour % 86400 AS day, SUM(ingress), SUM(egress), SUM(headers), SUM(requests)
		FROM traffic_hourly WHERE service_id = ? AND hour >= ? AND hour < ?
		GROUP BY day ORDER BY day`,
		serviceID, dayStart(from).Unix(), dayStart(to).AddDate(0, 0, 1).Unix())
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	var out []domain.TrafficDay
	for rows.Next() {
		var d domain.TrafficDay
		var day int64
		if err := rows.Scan(&day, &d.Ingress, &d.Egress, &d.Headers, &d.Requests); err != nil {
			return nil, db.fail(err, what)
		}
		d.Day = fromUnix(day)
		out = append(out, d)
	}
	return out, db.fail(rows.Err(), what)
}

// TrafficMonthly returns the service's traffic per UTC calendar month, the
// months-1 months before now's month and now's month, oldest first. Months
// without traffic are absent.
func (db *DB) TrafficMonthly(ctx context.Context, serviceID int64, months int, now time.Time) ([]domain.TrafficMonth, error) {
	if months <= 0 {
		return nil, nil
	}
	days, err := db.TrafficDaily(ctx, serviceID, monthStart(now).AddDate(0, 1-months, 0), now)
	if err != nil {
		return nil, err
	}
	var out []domain.TrafficMonth
	for _, d := range days {
		m := monthStart(d.Day)
		if len(out) == 0 || !out[len(out)-1].Month.Equal(m) {
			out = append(out, domain.TrafficMonth{Month: m})
		}
		out[len(out)-1].Add(d.Traffic)
	}
	return out, nil
}

// TrafficByBucket returns the service's traffic per bucket in the UTC
// calendar month holding month, by bucket name.
func (db *DB) TrafficByBucket(ctx context.Context, serviceID int64, month time.Time) ([]domain.BucketTraffic, error) {
	const what = "reading traffic by bucket"
	from := monthStart(month)
	rows, err := db.read.QueryContext(ctx, `SELECT bucket, SUM(ingress), SUM(egress), SUM(headers), SUM(requests)
		FROM traffic_hourly WHERE service_id = ? AND hour >= ? AND hour < ?
		GROUP BY bucket ORDER BY bucket`,
		serviceID, from.Unix(), from.AddDate(0, 1, 0).Unix())
	if err != nil {
		return nil, db.fail(err, what)
	}
	defer rows.Close()
	var out []domain.BucketTraffic
	for rows.Next() {
		var b domain.BucketTraffic
		if err := rows.Scan(&b.Bucket, &b.Ingress, &b.Egress, &b.Headers, &b.Requests); err != nil {
			return nil, db.fail(err, what)
		}
		out = append(out, b)
	}
	return out, db.fail(rows.Err(), what)
}
