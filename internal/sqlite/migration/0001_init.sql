-- Schema 1: accounts, raw usage samples and their daily aggregates.
-- Times are Unix seconds (UTC). WITHOUT ROWID keeps each table a single
-- B-tree ordered by its key, so one service's history is one contiguous
-- range: a 30-day or 12-month chart is one index seek and a short scan.

-- One row per WHMCS service on a server: the name recorded before any MinIO
-- work (so a retried create reuses it) and what the usage rules remember.
CREATE TABLE accounts (
	server_id      INTEGER NOT NULL,
	service_id     INTEGER NOT NULL,
	username       TEXT    NOT NULL DEFAULT '',
	grp            TEXT    NOT NULL DEFAULT '',
	warned         INTEGER NOT NULL DEFAULT 0,
	limit_notified INTEGER NOT NULL DEFAULT 0,
	policy         TEXT    NOT NULL DEFAULT '',
	forced         TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	checked_at     INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (server_id, service_id)
) WITHOUT ROWID;

-- One sample per service per collection. Keyed by service only: WHMCS
-- service ids are unique across servers, and billing follows the service.
CREATE TABLE samples (
	service_id INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	bytes      INTEGER NOT NULL,
	objects    INTEGER NOT NULL,
	versions   INTEGER NOT NULL,
	source     TEXT    NOT NULL,
	PRIMARY KEY (service_id, at)
) WITHOUT ROWID;

-- Daily aggregates for charts, kept as sums so a later sample of the same
-- day updates them in place. day is the Unix time of 00:00 UTC.
CREATE TABLE usage_daily (
	service_id INTEGER NOT NULL,
	day        INTEGER NOT NULL,
	samples    INTEGER NOT NULL,
	sum_bytes  INTEGER NOT NULL,
	max_bytes  INTEGER NOT NULL,
	last_bytes INTEGER NOT NULL,
	last_at    INTEGER NOT NULL,
	PRIMARY KEY (service_id, day)
) WITHOUT ROWID;
