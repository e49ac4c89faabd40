<?php
/**
 * The PHP half of scripts/bench-scale.sh: the module's own functions, run
 * as WHMCS runs them, against the scale server. WHMCS is emulated by the
 * PHP tests' bootstrap (tests/php/bootstrap.php) of the module tree being
 * measured, so a baseline tree is driven by its own module and emulation.
 *
 *   php scripts/bench-scale.php pages CONFIG.json OUT.json
 *       times, interleaved, run after run: the floor program by a bare
 *       proc_open and by the module's Bridge::run, puqMinIOS3_ClientArea
 *       (statistics page) and puqMinIOS3_AdminServicesTabFields on the big
 *       and on the small server
 *   php scripts/bench-scale.php cpu CONFIG.json OUT.json
 *       MinIO's CPU time (utime + stime of its process) over `views` page
 *       views, client statistics page and admin tab in turn, in `batches`
 *       batches each after `idleSeconds` of MinIO's idle CPU
 *
 * CONFIG.json: root (the module tree), binary, floor, store, clkTck,
 * service {id, username, password}, big and small {endpoint, accessKey,
 * secretKey, pid}, runs, warmup, views, batches, idleSeconds. OUT.json gets
 * medians and 90th percentiles in milliseconds (element n/2 and n*90/100
 * of the sorted times, as benchscale computes them).
 */

if ($argc !== 4 || !in_array($argv[1], ['pages', 'cpu'], true)) {
    fwrite(STDERR, "usage: php bench-scale.php pages|cpu CONFIG.json OUT.json\n");
    exit(2);
}
$mode = $argv[1];
$cfg = json_decode((string) file_get_contents($argv[2]), true);
if (!is_array($cfg)) {
    fwrite(STDERR, "$argv[2]: not JSON\n");
    exit(2);
}

// The emulation's support file extends PHPUnit's TestCase.
require_once 'PHPUnit/Autoload.php';
require_once $cfg['root'] . '/tests/php/bootstrap.php';

use WHMCS\Module\Server\PuqMinIOS3\Bridge;
use WHMCS\Module\Server\PuqMinIOS3\ProductSettings;
use WHMCS\Module\Server\PuqMinIOS3\Request;

putenv('PUQMINIO_BIN=' . $cfg['binary']);
putenv('PUQMINIO_DB_PATH=' . $cfg['store']);
$_SESSION = [];
$_GET = ['puqs3page' => 'stats'];

/**
 * WHMCS's $params for the benchmark service on $server: product settings
 * by position (configoptionN), as WHMCS stores them.
 */
function serviceParams(array $server, array $service)
{
    list($host, $port) = explode(':', $server['endpoint']);
    $params = [
        'serverid' => 1, 'serverhostname' => $host, 'serverip' => '', 'serverport' => $port,
        'serversecure' => false, 'serverusername' => $server['accessKey'],
        'serverpassword' => $server['secretKey'], 'serveraccesshash' => '',
        'serviceid' => $service['id'], 'userid' => 1, 'pid' => 1, 'domain' => '',
        'username' => $service['username'], 'password' => $service['password'], 'status' => 'Active',
        'configoptions' => [], 'customfields' => [],
        'clientsdetails' => ['email' => 'client@example.com', 'firstname' => 'Ann', 'language' => 'english'],
    ];
    $product = ['unit' => 'GB', 'diskSpace' => '10', 'historyDays' => '400', 'defaultBucket' => 'on'];
    $n = 0;
    foreach (ProductSettings::fields() as $name => $field) {
        $n++;
        if (isset($product[$name])) {
            $params['configoption' . $n] = $product[$name];
        }
    }
    return $params;
}

/**
 * Fails unless the module's last call to the binary answered ok: the
 * module turns failures into a page of its own (a warning for the client,
 * an alert for the admin), which must never be timed as a page.
 */
function assertAnswered($what)
{
    $last = end(WhmcsEmulation::$moduleLog);
    if (!$last || strpos((string) $last['response'], '"ok":true') === false) {
        fwrite(STDERR, "$what: the binary did not answer ok: " . substr((string) ($last['response'] ?? 'no call'), 0, 500) . "\n");
        exit(1);
    }
    WhmcsEmulation::$moduleLog = [];
}

/** One bare proc_open of the floor program: write, read to EOF, decode, reap. */
function floorCall($floor, $json)
{
    $pipes = [];
    $proc = proc_open([$floor], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    fwrite($pipes[0], $json);
    fclose($pipes[0]);
    $out = stream_get_contents($pipes[1]);
    fclose($pipes[1]);
    fclose($pipes[2]);
    proc_close($proc);
    $answer = json_decode((string) $out, true);
    if (empty($answer['ok'])) {
        fwrite(STDERR, "floor program: no answer\n");
        exit(1);
    }
}

/** @return array{n: int, p50: float, p90: float, min: float, max: float, mean: float} */
function summarize(array $ms)
{
    sort($ms);
    $n = count($ms);
    if ($n === 0) {
        return ['n' => 0, 'p50' => 0, 'p90' => 0, 'min' => 0, 'max' => 0, 'mean' => 0];
    }
    return ['n' => $n, 'p50' => $ms[intdiv($n, 2)], 'p90' => $ms[min($n - 1, intdiv($n * 90, 100))],
        'min' => $ms[0], 'max' => $ms[$n - 1], 'mean' => array_sum($ms) / $n];
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks($pid)
{
    $stat = (string) file_get_contents("/proc/$pid/stat");
    // The fields after the command name, which is in parentheses.
    $f = explode(' ', substr($stat, strrpos($stat, ')') + 2));
    return (int) $f[11] + (int) $f[12];
}

$service = $cfg['service'];
$big = serviceParams($cfg['big'], $service);
// A page that could not read MinIO is still a page: the client's says so
// (puqs3-error), the admin's shows "not connected"; neither may be timed.
$clientPage = function (array $p) {
    $html = puqMinIOS3_ClientArea($p);
    assertAnswered('ClientArea');
    if (strpos($html, 'puqs3-chart') === false || strpos($html, 'puqs3-error') !== false) {
        fwrite(STDERR, "ClientArea: not the statistics page with its charts: " . substr($html, 0, 300) . "\n");
        exit(1);
    }
};
$adminTab = function (array $p) {
    $html = implode('', puqMinIOS3_AdminServicesTabFields($p));
    assertAnswered('AdminServicesTabFields');
    if (strpos($html, $p['username']) === false || strpos($html, 'puqs3-ok puqs3-conn') === false) {
        fwrite(STDERR, "AdminServicesTabFields: not the tab of a connected server: " . substr($html, 0, 300) . "\n");
        exit(1);
    }
};

if ($mode === 'pages') {
    $small = serviceParams($cfg['small'], $service);
    $extra = method_exists(Request::class, 'clientPage') ? Request::clientPage($big, 'stats') : ['page' => 'stats'];
    $floorJson = json_encode(Request::forService('render.client', $big, $extra), JSON_UNESCAPED_SLASHES);
    $floorBridge = new Bridge($cfg['floor'], 60);
    $floorRequest = json_decode($floorJson, true);
    $cases = [
        'floor' => function () use ($cfg, $floorJson) {
            floorCall($cfg['floor'], $floorJson);
        },
        'floor-bridge' => function () use ($floorBridge, $floorRequest) {
            $floorBridge->run($floorRequest);
        },
        'client-big' => function () use ($clientPage, $big) {
            $clientPage($big);
        },
        'client-small' => function () use ($clientPage, $small) {
            $clientPage($small);
        },
        'admin-big' => function () use ($adminTab, $big) {
            $adminTab($big);
        },
        'admin-small' => function () use ($adminTab, $small) {
            $adminTab($small);
        },
    ];
    $ms = array_fill_keys(array_keys($cases), []);
    $runs = (int) $cfg['runs'];
    $warmup = (int) $cfg['warmup'];
    for ($i = 0; $i < $warmup + $runs; $i++) {
        foreach ($cases as $name => $call) {
            $t0 = hrtime(true);
            $call();
            $elapsed = (hrtime(true) - $t0) / 1e6;
            if ($i >= $warmup) {
                $ms[$name][] = $elapsed;
            }
        }
        if ($i >= $warmup && ($i - $warmup + 1) % 10 === 0) {
            fwrite(STDERR, sprintf("  %d/%d rounds\n", $i - $warmup + 1, $runs));
        }
    }
    $out = ['runs' => $runs, 'floorBytes' => filesize($cfg['floor']), 'requestBytes' => strlen($floorJson), 'cases' => []];
    foreach ($ms as $name => $list) {
        $out['cases'][$name] = summarize($list);
    }
} else {
    // MinIO works when nobody asks it anything (its scanner, IAM
    // refreshes), and on a server this size that background is large and
    // uneven. So the views come in batches, each after an idle window, and
    // the background rate of all the windows together is what is taken
    // off the CPU the views used.
    $pid = (int) $cfg['big']['pid'];
    $tck = (float) $cfg['clkTck'];
    $clientPage($big); // the first views warm the page cache
    $adminTab($big);
    $views = (int) $cfg['views'];
    $batches = max(1, min($views, (int) $cfg['batches']));
    $ms = ['client' => [], 'admin' => []];
    $viewTicks = $idleTicks = 0;
    $viewTime = $idleTime = 0.0;
    $idleRates = [];
    $done = 0;
    for ($b = 0; $b < $batches; $b++) {
        $c0 = cpuTicks($pid);
        $t0 = hrtime(true);
        usleep((int) ($cfg['idleSeconds'] * 1e6));
        $ticks = cpuTicks($pid) - $c0;
        $secs = (hrtime(true) - $t0) / 1e9;
        $idleTicks += $ticks;
        $idleTime += $secs;
        $idleRates[] = $ticks / $tck / $secs;
        $c0 = cpuTicks($pid);
        $t0 = hrtime(true);
        for ($end = intdiv($views * ($b + 1), $batches); $done < $end; $done++) {
            $v0 = hrtime(true);
            if ($done % 2 === 0) {
                $clientPage($big);
                $ms['client'][] = (hrtime(true) - $v0) / 1e6;
            } else {
                $adminTab($big);
                $ms['admin'][] = (hrtime(true) - $v0) / 1e6;
            }
        }
        $viewTicks += cpuTicks($pid) - $c0;
        $viewTime += (hrtime(true) - $t0) / 1e9;
        fwrite(STDERR, sprintf("  %d/%d views\n", $done, $views));
    }
    $cpu = $viewTicks / $tck;
    $idleRate = $idleTicks / $tck / $idleTime;
    $out = [
        'views' => $views, 'batches' => $batches, 'wallSeconds' => $viewTime, 'cpuSeconds' => $cpu,
        'idleSeconds' => $idleTime, 'idleCpuPerSecond' => $idleRate,
        'idleCpuPerSecondMin' => min($idleRates), 'idleCpuPerSecondMax' => max($idleRates),
        'cpuPer1000' => $cpu * 1000 / $views,
        'netCpuPer1000' => max(0, $cpu - $idleRate * $viewTime) * 1000 / $views,
        'client' => summarize($ms['client']), 'admin' => summarize($ms['admin']),
    ];
}
file_put_contents($argv[3], json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
