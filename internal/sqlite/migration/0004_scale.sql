-- Schema 4: what pages and creates read here instead of asking the server,
-- so that their cost does not grow with the other tenants on it.

-- Each account's buckets with the figures of its last measurement (usage
-- runs and Recalculate write them; the pages read them). The account's
-- checked_at dates them.
CREATE TABLE bucket_usage (
	server_id  INTEGER NOT NULL,
	service_id INTEGER NOT NULL,
	bucket     TEXT    NOT NULL,
	bytes      INTEGER NOT NULL,
	objects    INTEGER NOT NULL,
	versions   INTEGER NOT NULL,
	PRIMARY KEY (server_id, service_id, bucket)
) WITHOUT ROWID;

-- The last check of a product group (create and change package make it):
-- the policies it grants its members, and why it cannot be used ("" when
-- it can). The admin tab shows it.
CREATE TABLE group_checks (
	server_id  INTEGER NOT NULL,
	grp        TEXT    NOT NULL,
	policies   TEXT    NOT NULL, -- JSON list
	problem    TEXT    NOT NULL,
	checked_at INTEGER NOT NULL,
	PRIMARY KEY (server_id, grp)
) WITHOUT ROWID;

-- The server's user and bucket names as last listed in full, lower-cased
-- for the overlap queries (kind: user or bucket). Create asks which of
-- them could clash with a new name, then confirms each with MinIO.
CREATE TABLE server_names (
	server_id INTEGER NOT NULL,
	kind      TEXT    NOT NULL,
	lname     TEXT    NOT NULL,
	name      TEXT    NOT NULL,
	PRIMARY KEY (server_id, kind, lname, name)
) WITHOUT ROWID;
CREATE TABLE server_name_lists (
	server_id INTEGER PRIMARY KEY,
	taken_at  INTEGER NOT NULL,
	users     INTEGER NOT NULL, -- how many the listing held
	buckets   INTEGER NOT NULL
);

-- The same overlap queries over the accounts this store made.
CREATE INDEX accounts_lusername ON accounts (server_id, lower(username));

-- The server's version as the cron's server-wide look last read it (MinIO's
-- info call loads every bucket's usage, too costly for each admin tab).
CREATE TABLE server_status (
	server_id  INTEGER PRIMARY KEY,
	version    TEXT    NOT NULL,
	checked_at INTEGER NOT NULL
);

-- User names terminate removed. Terminate removes the buckets it knows of
-- (the last measurement, the last listing, the default bucket); a bucket
-- the tenant made since then is removed by the next server-wide listing
-- (the cron's names.refresh), which drops the name once it finds nothing
-- left. Until then a new account cannot take an overlapping name.
CREATE TABLE terminated_names (
	server_id  INTEGER NOT NULL,
	username   TEXT    NOT NULL,
	service_id INTEGER NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (server_id, username)
) WITHOUT ROWID;
CREATE INDEX terminated_lname ON terminated_names (server_id, lower(username));
