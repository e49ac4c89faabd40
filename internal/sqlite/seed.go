package sqlite

import (
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Synthetic describes a generated usage history, for benchmarks and load
// tests: Services accounts on ServerID, named 1-<id> for ids 1..Services,
// each with one sample a day at 02:00 UTC (the cron's hour) for the Days
// days before End's day, and the raw samples the billing window keeps.
type Synthetic struct {
	ServerID int64
	Services int
	Days     int
	End      time.Time // the day after the last generated one
	// PolicySig is the policy signature every account records: the
	// product's, as this version writes it, or "" as versions before the
	// signature left their accounts (the next usage run rewrites them all).
	PolicySig string
}

// SeedSynthetic writes s into the database at path, which must be new or
// empty. The history is generated inside SQLite with recursive CTEs, in key
// order and without a journal, then the file is put back in WAL mode and
// analyzed, as a production file would be. It is test tooling: nothing in
// the module calls it outside tests, so the linker leaves it out of the
// binary.
func SeedSynthetic(path string, s Synthetic) error {
	if s.Services <= 0 || s.Days <= 0 {
		return fmt.Errorf("seeding %s: services and days must be positive", path)
	}
	db, err := Open(path)
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	raw, err := sql.Open("sqlite3", dsn(path, "_journal_mode=OFF", "_cache_size=-262144"))
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	end := dayStart(s.End)
	start := end.AddDate(0, 0, -s.Days).Unix()
	steps := []string{
		`PRAGMA synchronous=OFF`,
		`BEGIN`,
		fmt.Sprintf(`WITH RECURSIVE svc(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM svc WHERE id < %d)
			INSERT INTO accounts (server_id, service_id, username, policy, policy_sig, created_at, checked_at)
			SELECT %d, id, '1-' || id, 'standard', %s, %d, %d FROM svc`, s.Services, s.ServerID, quote(s.PolicySig), start, end.Unix()),
		// Usage wanders per service and day.
		fmt.Sprintf(`WITH RECURSIVE
			svc(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM svc WHERE id < %d),
			d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < %d)
			INSERT INTO usage_daily (service_id, day, samples, sum_bytes, max_bytes, last_bytes, last_at)
			SELECT id, %d + n * 86400, 1, b, b, b, %d + n * 86400 + 7200
			FROM (SELECT id, n, ((id * 2654435761 + n * 40503) %% 50000 + id %% 100 * n) * 1048576 AS b
				FROM svc CROSS JOIN d)`, s.Services, s.Days-1, start, start),
		fmt.Sprintf(`INSERT INTO samples (at, service_id, bytes, objects, versions, source)
			SELECT last_at, service_id, last_bytes, last_bytes >> 20, last_bytes >> 20, 'scanner'
			FROM usage_daily WHERE day >= %d ORDER BY last_at, service_id`, billingStart(end).Unix()),
		`INSERT INTO sample_times (at) SELECT DISTINCT at FROM samples`,
		`COMMIT`,
		`PRAGMA journal_mode=WAL`,
		`ANALYZE`,
	}
	for _, q := range steps {
		if _, err := raw.Exec(q); err != nil {
			return fmt.Errorf("seeding %s: %w", path, err)
		}
	}
	return raw.Close()
}

// quote is s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
