-- Schema 6: what tenants make in the client area (issue 13).
--
-- The access keys the module made for a tenant, never their secrets: the
-- pages list them and the product's maximum counts them without asking
-- the server, whose list of keys is an answer it encrypts with a 64 MiB
-- Argon2id. buckets is a JSON list ('[]': every bucket of the tenant);
-- expires_at is 0 for a key that does not expire.
CREATE TABLE access_keys (
	server_id  INTEGER NOT NULL,
	service_id INTEGER NOT NULL,
	access_key TEXT    NOT NULL,
	label      TEXT    NOT NULL,
	buckets    TEXT    NOT NULL,
	read_only  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (server_id, service_id, access_key)
) WITHOUT ROWID;

-- Self-service changes are rate limited per service with the throttle
-- table of schema 3: one row per slot of a window ("self#0", "self#1", ...).
