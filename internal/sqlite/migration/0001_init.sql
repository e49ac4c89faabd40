-- Schema 1: accounts, raw usage samples and their daily aggregates.
-- Times are Unix seconds (UTC). WITHOUT ROWID keeps each table a single
-- B-tree ordered by its key.

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

-- One sample per service per collection: the billing data. Keyed by time
-- first, so a collection's 10,000 rows append to a few pages instead of
-- touching one page per service, and pruning is one range at the head. Raw
-- samples are kept only for the billing window (see RecordCollection); the
-- daily table below is the long history. Keyed by service, not server:
-- WHMCS service ids are unique across servers and billing follows the
-- service.
CREATE TABLE samples (
	at         INTEGER NOT NULL,
	service_id INTEGER NOT NULL,
	bytes      INTEGER NOT NULL,
	objects    INTEGER NOT NULL,
	versions   INTEGER NOT NULL,
	source     TEXT    NOT NULL,
	PRIMARY KEY (at, service_id)
) WITHOUT ROWID;

-- The distinct sample times, one per collection run plus the odd
-- single-service recalculation: one service's samples are found by walking
-- these and looking each (at, service) up.
CREATE TABLE sample_times (
	at INTEGER PRIMARY KEY
);

-- Daily aggregates: the history charts show, kept per product retention.
-- Keyed by service first, so a 30-day or 12-month chart is one seek and a
-- short scan. Kept as sums so a later sample of the same day updates the
-- row in place. day is the Unix time of 00:00 UTC.
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
