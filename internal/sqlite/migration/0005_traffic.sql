-- Schema 5: traffic metered from MinIO's audit webhook (puqminio traffic
-- serve). Times are Unix seconds (UTC).

-- Counters per service, hour and bucket: what billing and charts read.
-- Keyed by service first, so a service's month is one seek and a short
-- scan; the server is kept so that each server's unattributed traffic
-- (service 0) stays apart. bucket is '' for requests on no bucket.
-- ingress and egress are HTTP body bytes; headers is MinIO's estimate of
-- the response headers, kept apart because it is not exact.
CREATE TABLE traffic_hourly (
	service_id INTEGER NOT NULL,
	hour       INTEGER NOT NULL,
	server_id  INTEGER NOT NULL,
	bucket     TEXT    NOT NULL,
	ingress    INTEGER NOT NULL,
	egress     INTEGER NOT NULL,
	headers    INTEGER NOT NULL,
	requests   INTEGER NOT NULL,
	PRIMARY KEY (service_id, hour, server_id, bucket)
) WITHOUT ROWID;

-- The requests already counted, so that a batch MinIO delivers again (our
-- answer was lost, or MinIO restarted before it noted the delivery) is not
-- counted twice. at is the request's time, which a redelivery repeats, and
-- keeps inserts at the end of the table and pruning a range at its head;
-- key is a 64-bit hash of the request's identity (see minioaudit); seen is
-- when the row was written, which pruning goes by (see PruneTraffic).
CREATE TABLE traffic_seen (
	at   INTEGER NOT NULL,
	key  INTEGER NOT NULL,
	seen INTEGER NOT NULL,
	PRIMARY KEY (at, key)
) WITHOUT ROWID;

-- Attribution looks each user name of a batch up with accounts_username
-- (schema 3).
