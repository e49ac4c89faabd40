-- Schema 2: which puqminio versions used the file. An operator reading
-- `puqminio version --db` after an upgrade (or a refused downgrade) sees
-- which release last opened the database and which one last migrated it.
-- Written only when a value changes, so everyday opens stay read-only.
CREATE TABLE meta (
	key        TEXT    PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) WITHOUT ROWID;
