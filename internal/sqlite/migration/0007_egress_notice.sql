-- Schema 7: the egress allowance warning (product setting egressAllowanceGB).
--
-- accounts.egress_notified: the month (Unix time of 00:00 UTC on its first)
--   whose egress warning the shim confirmed sent (usage.notified); 0 when
--   none is, or egress went back under the allowance since. A warning is
--   due once per month in which egress crosses the allowance.
ALTER TABLE accounts ADD COLUMN egress_notified INTEGER NOT NULL DEFAULT 0;
