<?php
/**
 * The upgrade test's window into the usage database, through PHP's own
 * SQLite (not puqminio's), so what it sees does not depend on either build.
 *
 *   php db.php seed DB   add 45 past days of history for services 34 and 35,
 *                        and raw samples for the last 3 days, as v0.1.0's
 *                        cron would have written them over six weeks
 *   php db.php dump DB   every table as JSON, rows in key order
 */

if ($argc !== 3 || !in_array($argv[1], ['seed', 'dump'], true)) {
    fwrite(STDERR, "usage: php db.php seed|dump DB\n");
    exit(2);
}
$pdo = new PDO('sqlite:' . $argv[2], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$pdo->exec('PRAGMA busy_timeout = 10000');

if ($argv[1] === 'seed') {
    $today = intdiv(time(), 86400) * 86400;
    $pdo->beginTransaction();
    $daily = $pdo->prepare('INSERT INTO usage_daily (service_id, day, samples, sum_bytes, max_bytes, last_bytes, last_at)
        VALUES (?, ?, 1, ?, ?, ?, ?)');
    $sample = $pdo->prepare('INSERT INTO samples (at, service_id, bytes, objects, versions, source) VALUES (?, ?, ?, 1, 1, ?)');
    $time = $pdo->prepare('INSERT OR IGNORE INTO sample_times (at) VALUES (?)');
    foreach ([34 => 10000000, 35 => 20000000] as $service => $base) {
        for ($k = 1; $k <= 45; $k++) {
            $day = $today - $k * 86400;
            $bytes = $base + $k * 1000 + $service; // unique, so a chart bar names its day
            $at = $day + 12 * 3600;
            $daily->execute([$service, $day, $bytes, $bytes, $bytes, $at]);
            if ($k <= 3) {
                $sample->execute([$at, $service, $bytes, 'scanner']);
                $time->execute([$at]);
            }
        }
    }
    $pdo->commit();
    exit(0);
}

$out = [];
$tables = $pdo->query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")->fetchAll(PDO::FETCH_COLUMN);
$keys = [
    'accounts' => 'server_id, service_id',
    'samples' => 'at, service_id',
    'sample_times' => 'at',
    'usage_daily' => 'service_id, day',
    'migrations' => 'version',
    'meta' => 'key',
    'withheld_policies' => 'server_id, service_id, bucket',
    'throttle' => 'service_id, action',
    'bucket_usage' => 'server_id, service_id, bucket',
    'group_checks' => 'server_id, grp',
    'server_names' => 'server_id, kind, lname, name',
    'server_name_lists' => 'server_id',
    'server_status' => 'server_id',
    'terminated_names' => 'server_id, username',
    'traffic_hourly' => 'service_id, hour, server_id, bucket',
    'traffic_seen' => 'at, key',
    'access_keys' => 'server_id, service_id, access_key',
    'traffic_read' => 'server_id',
];
foreach ($tables as $t) {
    if (!isset($keys[$t])) {
        fwrite(STDERR, "db.php: no sort key for the table $t (add it to \$keys)\n");
        exit(1);
    }
    $order = $keys[$t];
    $out[$t] = $pdo->query('SELECT * FROM "' . $t . '" ORDER BY ' . $order)->fetchAll(PDO::FETCH_ASSOC);
}
echo json_encode($out, JSON_UNESCAPED_SLASHES), "\n";
