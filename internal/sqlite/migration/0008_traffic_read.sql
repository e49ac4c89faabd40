-- Schema 8: traffic read from Ceph RGW's usage log. RGW sums traffic per
-- owner, bucket and hour itself; the usage run on an RGW server reads the
-- settled hours since its last read, adds them to traffic_hourly and then
-- trims them from RGW's log.
--
-- until is the end (Unix seconds, on the hour) of the hours of server_id
-- already counted, written in the transaction that counts them. A later
-- read of an hour before it adds nothing, so an hour read twice (the trim
-- after the first read failed, or two runs read at once) counts once, and
-- no per-record key has to be kept or pruned.
CREATE TABLE traffic_read (
	server_id INTEGER PRIMARY KEY,
	until     INTEGER NOT NULL
) WITHOUT ROWID;
