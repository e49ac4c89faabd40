-- Schema 3: what the module governs beyond the user itself.
--
-- accounts.suspended: the account is suspended (bucket policies withheld).
-- accounts.terminating: terminate has begun; usage runs leave the account
--   alone, so they cannot re-create its policy behind terminate's back.
-- accounts.policy_sig: a digest of what the user's policy was last written
--   from (state, raw policy, permissions, guards); a usage run rewrites a
--   document whose inputs changed (a product edited, the module upgraded).
ALTER TABLE accounts ADD COLUMN suspended   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN terminating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN policy_sig  TEXT    NOT NULL DEFAULT '';

-- Bucket policies the module took off a tenant's buckets (suspend, the disk
-- limit), as MinIO returned them, to put back on unsuspend or when space is
-- freed if the product lets tenants publish.
CREATE TABLE withheld_policies (
	server_id  INTEGER NOT NULL,
	service_id INTEGER NOT NULL,
	bucket     TEXT    NOT NULL,
	policy     TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (server_id, service_id, bucket)
) WITHOUT ROWID;

-- The last time a service did a rate-limited action (the client's
-- Recalculate, self-service actions), per action.
CREATE TABLE throttle (
	service_id INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	PRIMARY KEY (service_id, action)
) WITHOUT ROWID;

-- Finding the service that recorded a user name, so that one service
-- cannot act on another's account.
CREATE INDEX accounts_username ON accounts (server_id, username);
