<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * Runs `puqminio rpc` once: one JSON request on stdin, one JSON response on
 * stdout (see docs/bridge.md). No shell is involved and no secret is ever on
 * the command line. The process is killed at the deadline and its output is
 * capped, so a stuck or runaway binary cannot hang or exhaust a WHMCS request.
 */
class Bridge
{
    /** Largest stdout accepted: rendered pages and account lists fit easily. */
    const MAX_STDOUT = 8388608;

    /** Architectures the release package has a binary for (make dist). */
    const SHIPPED_ARCHES = ['amd64', 'arm64'];

    /** Largest stderr kept: it is only for the operator's log. */
    const MAX_STDERR = 65536;

    /** @var string */
    private $binary;

    /** @var float seconds */
    private $deadline;

    /**
     * @param string $binary path of the puqminio executable
     * @param float $deadlineSeconds wall-clock limit for the whole run
     */
    public function __construct($binary, $deadlineSeconds)
    {
        $this->binary = $binary;
        $this->deadline = (float) $deadlineSeconds;
    }

    /**
     * The binary for this machine: $PUQMINIO_BIN when set, else
     * bin/puqminio-linux-<arch> beside the module.
     *
     * @return string
     */
    public static function defaultBinary()
    {
        $env = getenv('PUQMINIO_BIN');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        return dirname(__DIR__) . '/bin/puqminio-linux-' . self::arch(php_uname('m'));
    }

    /**
     * Maps php_uname('m') to the Go architecture name of a shipped binary.
     *
     * @param string $machine
     * @return string
     */
    public static function arch($machine)
    {
        $machine = strtolower(trim($machine));
        if (in_array($machine, ['x86_64', 'amd64'], true)) {
            return 'amd64';
        }
        if (in_array($machine, ['aarch64', 'arm64', 'armv8', 'armv8l'], true)) {
            return 'arm64';
        }
        return preg_replace('/[^a-z0-9_]/', '', $machine);
    }

    /**
     * Sends $request and returns the decoded response object
     * ({"ok": true, "result": ...} or {"ok": false, "error": ...}).
     *
     * @param array $request the envelope
     * @return array
     * @throws BridgeException when no JSON answer could be had
     */
    public function run(array $request)
    {
        $this->checkRunnable();
        $input = json_encode($request, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        if ($input === false) {
            throw new BridgeException('The request could not be encoded as JSON: ' . json_last_error_msg());
        }

        $spec = [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']];
        $pipes = [];
        $proc = @proc_open([$this->binary, 'rpc'], $spec, $pipes);
        if (!is_resource($proc)) {
            $err = error_get_last();
            throw new BridgeException('Could not start ' . $this->binary . ': '
                . ($err ? $err['message'] : 'proc_open failed'));
        }

        list($stdout, $stderr, $timedOut, $overflow) = $this->exchange($proc, $pipes, $input);
        $status = $this->finish($proc, $timedOut || $overflow);

        if ($timedOut) {
            throw new BridgeException(sprintf(
                'The puqminio binary did not answer within %d seconds and was stopped. '
                . 'Check that the MinIO server is reachable from the WHMCS host. Retrying is safe.',
                (int) $this->deadline
            ), 'timeout', true);
        }
        if ($overflow) {
            throw new BridgeException('The puqminio binary printed more than '
                . self::MAX_STDOUT . ' bytes and was stopped.');
        }

        $response = json_decode($stdout, true);
        if (!is_array($response) || !array_key_exists('ok', $response)) {
            $hint = trim(substr(trim($stderr), 0, 500));
            throw new BridgeException(sprintf(
                'The puqminio binary (%s) did not answer with JSON (exit status %d)%s',
                $this->binary,
                $status,
                $hint !== '' ? ': ' . $hint : '.'
            ));
        }
        return $response;
    }

    /**
     * Fails with a plain message for the setups that cannot work at all.
     *
     * @throws BridgeException
     */
    private function checkRunnable()
    {
        if (!self::procOpenAvailable()) {
            $ini = php_ini_loaded_file();
            throw new BridgeException('PHP\'s proc_open is disabled (disable_functions in '
                . ($ini ? $ini : 'php.ini') . '), so the module cannot run its puqminio binary. '
                . 'Allow proc_open for WHMCS; note that the cron may use a different php.ini than the web server.');
        }
        if (!is_file($this->binary)) {
            if (preg_match('/puqminio-linux-([a-z0-9_]*)$/', $this->binary, $m)
                && !in_array($m[1], self::SHIPPED_ARCHES, true)) {
                throw new BridgeException('No puqminio binary is shipped for this machine ('
                    . php_uname('m') . '): the module runs on Linux x86_64 (amd64) and aarch64 (arm64). '
                    . $this->binary . ' does not exist.');
            }
            throw new BridgeException('The puqminio binary is missing: ' . $this->binary
                . ' does not exist. Upload the module\'s bin/ folder again (machine: ' . php_uname('m') . ').');
        }
        if (!is_executable($this->binary)) {
            throw new BridgeException('The puqminio binary ' . $this->binary
                . ' is not executable (uploads sometimes drop the run bit). Run: chmod 755 ' . $this->binary);
        }
    }

    /** @return bool */
    public static function procOpenAvailable()
    {
        if (!function_exists('proc_open')) {
            return false;
        }
        $disabled = array_map('trim', explode(',', strtolower((string) ini_get('disable_functions'))));
        return !in_array('proc_open', $disabled, true);
    }

    /**
     * Writes the request and reads both outputs until the process closes them,
     * the deadline passes or stdout overflows.
     *
     * @return array{0: string, 1: string, 2: bool, 3: bool}
     */
    private function exchange($proc, array $pipes, $input)
    {
        $stdin = $pipes[0];
        stream_set_blocking($stdin, false);
        stream_set_blocking($pipes[1], false);
        stream_set_blocking($pipes[2], false);
        $out = ['', ''];
        $open = [1 => $pipes[1], 2 => $pipes[2]];
        $written = 0;
        $total = strlen($input);
        $end = microtime(true) + $this->deadline;
        $timedOut = false;
        $overflow = false;

        if ($total === 0) {
            fclose($stdin);
            $stdin = null;
        }
        while ($open) {
            $left = $end - microtime(true);
            if ($left <= 0) {
                $timedOut = true;
                break;
            }
            $read = array_values($open);
            $write = $stdin ? [$stdin] : [];
            $except = null;
            $sec = (int) $left;
            $usec = (int) (($left - $sec) * 1000000);
            $n = @stream_select($read, $write, $except, $sec, $usec);
            if ($n === false) {
                break;
            }
            if ($write) {
                $w = @fwrite($stdin, substr($input, $written, 65536));
                if ($w === false) {
                    fclose($stdin);
                    $stdin = null;
                } else {
                    $written += $w;
                    if ($written >= $total) {
                        fclose($stdin);
                        $stdin = null;
                    }
                }
            }
            foreach ($read as $stream) {
                $idx = $stream === $pipes[1] ? 1 : 2;
                $chunk = fread($stream, 65536);
                if ($chunk === false || ($chunk === '' && feof($stream))) {
                    fclose($stream);
                    unset($open[$idx]);
                    continue;
                }
                if ($idx === 1) {
                    $out[0] .= $chunk;
                    if (strlen($out[0]) > self::MAX_STDOUT) {
                        $overflow = true;
                        break 2;
                    }
                } elseif (strlen($out[1]) < self::MAX_STDERR) {
                    $out[1] .= substr($chunk, 0, self::MAX_STDERR - strlen($out[1]));
                }
            }
        }
        if ($stdin) {
            fclose($stdin);
        }
        foreach ($open as $stream) {
            fclose($stream);
        }
        return [$out[0], $out[1], $timedOut, $overflow];
    }

    /**
     * Reaps the process, killing it first when told to, and returns its
     * exit status (-1 when unknown).
     */
    private function finish($proc, $kill)
    {
        if ($kill) {
            proc_terminate($proc, 9);
        }
        $status = -1;
        $limit = microtime(true) + 5;
        // The process usually exits within a millisecond of closing its
        // output: poll quickly first, then back off to 10 ms.
        $wait = 200;
        do {
            $st = proc_get_status($proc);
            if (!$st['running']) {
                $status = $st['exitcode'];
                break;
            }
            usleep($wait);
            $wait = min($wait * 2, 10000);
        } while (microtime(true) < $limit);
        if ($st['running']) {
            proc_terminate($proc, 9);
        }
        proc_close($proc);
        return $status;
    }
}
