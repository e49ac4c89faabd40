<?php
/**
 * Times PHP-to-Go calls as WHMCS makes them: the module's Bridge class runs
 * `puqminio rpc` with proc_open, writes the request and decodes the answer.
 * Beside them, the bare process start (proc_open of `puqminio --version`,
 * read to EOF, reaped), which every call pays.
 *
 *   php scripts/bench-php.php BINARY RUNS NAME=REQUEST.json [NAME=REQUEST.json ...]
 *
 * Prints one line per case: median and 95th percentile in milliseconds.
 * scripts/bench.sh runs it; docs/benchmarks.md has the figures.
 */

require_once __DIR__ . '/../whmcs/modules/servers/puqMinIOS3/lib/autoload.php';
require_once __DIR__ . '/../whmcs/modules/servers/puqMinIOS3/lib/BridgeException.php';
require_once __DIR__ . '/../whmcs/modules/servers/puqMinIOS3/lib/Bridge.php';

use WHMCS\Module\Server\PuqMinIOS3\Bridge;

if ($argc < 3) {
    fwrite(STDERR, "usage: php bench-php.php BINARY RUNS [NAME=REQUEST.json ...]\n");
    exit(2);
}
$binary = $argv[1];
$runs = max(1, (int) $argv[2]);

/**
 * Median and 95th percentile of $ms, a list of milliseconds.
 *
 * @return array{0: float, 1: float}
 */
function quantiles(array $ms)
{
    sort($ms);
    $n = count($ms);
    return [$ms[intdiv($n, 2)], $ms[min($n - 1, intdiv($n * 95, 100))]];
}

/** Prints one result line. */
function report($name, array $ms)
{
    list($p50, $p95) = quantiles($ms);
    printf("%-28s runs=%-4d p50=%8.2f ms  p95=%8.2f ms\n", $name, count($ms), $p50, $p95);
}

/** One bare start of the binary: proc_open, read stdout to EOF, reap. */
function bareStart($binary)
{
    $pipes = [];
    $proc = proc_open([$binary, '--version'], [1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes);
    if (!is_resource($proc)) {
        throw new RuntimeException('proc_open failed');
    }
    stream_get_contents($pipes[1]);
    fclose($pipes[1]);
    fclose($pipes[2]);
    proc_close($proc);
}

$ms = [];
for ($i = 0; $i < $runs + 3; $i++) {
    $t0 = hrtime(true);
    bareStart($binary);
    if ($i >= 3) { // the first runs warm the page cache
        $ms[] = (hrtime(true) - $t0) / 1e6;
    }
}
report('process start (--version)', $ms);

$bridge = new Bridge($binary, 60);
for ($a = 3; $a < $argc; $a++) {
    list($name, $file) = explode('=', $argv[$a], 2);
    $request = json_decode((string) file_get_contents($file), true);
    if (!is_array($request)) {
        fwrite(STDERR, "$file: not a JSON request\n");
        exit(2);
    }
    $ms = [];
    for ($i = 0; $i < $runs + 3; $i++) {
        $t0 = hrtime(true);
        $response = $bridge->run($request);
        $elapsed = (hrtime(true) - $t0) / 1e6;
        if (empty($response['ok'])) {
            fwrite(STDERR, "$name: " . json_encode($response) . "\n");
            exit(1);
        }
        if ($i >= 3) {
            $ms[] = $elapsed;
        }
    }
    report('Bridge::run ' . $name, $ms);
}
