<?php
/**
 * Test helpers (not WHMCS emulation): the real puqminio binary, a real MinIO
 * server, s3cmd as a tenant, and WHMCS-shaped $params backed by the
 * emulated tables.
 */

use PHPUnit\Framework\TestCase;

abstract class PuqTestCase extends TestCase
{
    /** The repository root. */
    const ROOT = __DIR__ . '/../..';

    /** @var array<string, array> the test servers started, by backend */
    private static $servers = [];

    /** @var array[] the processes of the servers in $servers, with their pipes */
    private static $serverProcs = [];

    /** @var string|null where this run keeps its files */
    private static $tmp;

    /** @var string|null|false the built binary, false when the build failed */
    private static $binary;

    /** @var string build output when it failed */
    private static $buildError = '';

    /** @var int next WHMCS ids, unique within the run */
    private static $nextId = 100;

    protected function setUp(): void
    {
        WhmcsEmulation::reset();
        $_SESSION = [];
        $_GET = [];
        putenv('PUQMINIO_DB_PATH=' . self::tmp() . '/store/usage.db');
    }

    /** A private temporary directory for the whole run, removed at exit. */
    protected static function tmp()
    {
        if (self::$tmp === null) {
            self::$tmp = sys_get_temp_dir() . '/puqminio-php-' . getmypid() . '-' . bin2hex(random_bytes(4));
            mkdir(self::$tmp, 0700, true);
            $dir = self::$tmp;
            register_shutdown_function(function () use ($dir) {
                self::stopReceiver();
                self::stopMinio();
                exec('rm -rf ' . escapeshellarg($dir));
            });
        }
        return self::$tmp;
    }

    /** Runs a command array; returns [exit status, stdout+stderr]. */
    protected static function runCommand(array $cmd, $cwd = null, array $env = null, $input = '')
    {
        $proc = proc_open($cmd, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, $cwd, $env);
        fwrite($pipes[0], $input);
        fclose($pipes[0]);
        $out = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($proc), $out];
    }

    /** @var string|false PUQMINIO_BIN as the run started, before tests change it */
    public static $givenBinary = false;

    /**
     * The binary under test: $PUQMINIO_BIN as given to the run (make
     * test-php builds it), else cmd/puqminio built once per run into the
     * module's bin/puqminio-linux-<arch>, which the module then picks itself.
     */
    protected static function requireBinary()
    {
        if (is_string(self::$givenBinary) && self::$givenBinary !== '') {
            if (!is_executable(self::$givenBinary)) {
                self::fail('PUQMINIO_BIN=' . self::$givenBinary . ' is not an executable file');
            }
            putenv('PUQMINIO_BIN=' . self::$givenBinary);
            return self::$givenBinary;
        }
        if (self::$binary === null) {
            $arch = \WHMCS\Module\Server\PuqMinIOS3\Bridge::arch(php_uname('m'));
            $out = self::ROOT . '/whmcs/modules/servers/puqMinIOS3/bin/puqminio-linux-' . $arch;
            if (!is_dir(self::ROOT . '/cmd/puqminio')) {
                self::$binary = false;
                self::$buildError = 'cmd/puqminio does not exist yet';
            } else {
                list($status, $log) = self::runCommand(['go', 'build', '-o', $out, './cmd/puqminio'], self::ROOT);
                self::$binary = $status === 0 ? $out : false;
                self::$buildError = $log;
            }
        }
        if (self::$binary === false) {
            self::fail('The puqminio binary could not be built: ' . self::$buildError);
        }
        putenv('PUQMINIO_BIN');
        return self::$binary;
    }

    /**
     * The MinIO test server (internal/testminio/testserver), started once per
     * run and stopped when the run ends (its stdin closes).
     *
     * @return array{endpoint: string, accessKey: string, secretKey: string, secure: bool, caPem: string}
     */
    protected static function minio()
    {
        $backend = static::backend();
        if (!isset(self::$servers[$backend])) {
            $bin = self::tmp() . '/testserver';
            if (!is_file($bin)) {
                list($status, $log) = self::runCommand(['go', 'build', '-o', $bin, './internal/testminio/testserver'], self::ROOT);
                if ($status !== 0) {
                    self::fail('Could not build the test server: ' . $log);
                }
            }
            $logFile = self::tmp() . '/' . $backend . '.log';
            // -audit: MinIO posts its audit webhook to the address the line
            // names, for trafficReceiver(); until that runs MinIO keeps them.
            $args = $backend === 'rgw' ? [$bin, '-backend', 'rgw'] : [$bin, '-audit'];
            $proc = proc_open($args, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $logFile, 'a']], $pipes);
            $line = fgets($pipes[1]);
            $info = json_decode((string) $line, true);
            if (!is_array($info) || empty($info['endpoint'])) {
                proc_close($proc);
                self::fail('The ' . $backend . ' test server did not start: ' . @file_get_contents($logFile));
            }
            self::$serverProcs[] = [$proc, $pipes];
            self::$servers[$backend] = $info;
        }
        return self::$servers[$backend];
    }

    /**
     * The backend this test class runs against: MinIO; a subclass answers
     * 'rgw' to run the same tests against a Ceph RADOS Gateway.
     */
    protected static function backend()
    {
        return 'minio';
    }

    /** @var resource|null `puqminio traffic serve` for the test server */
    private static $receiverProc;

    /** @var array */
    private static $receiverPipes = [];

    /**
     * `puqminio traffic serve` (the binary under test) metering the test
     * server's traffic into the run's usage database as server 1, started
     * once per run. The token goes in its environment, never its command
     * line.
     */
    protected static function trafficReceiver()
    {
        if (self::$receiverProc !== null) {
            return;
        }
        $m = self::minio();
        $bin = self::requireBinary();
        @mkdir(self::tmp() . '/store', 0700);
        $log = self::tmp() . '/receiver.log';
        $env = ['PATH' => (string) getenv('PATH'), 'PUQMINIO_TRAFFIC_TOKEN' => $m['auditToken']];
        $proc = proc_open([$bin, 'traffic', 'serve', '--listen', $m['auditListen'], '--db', self::tmp() . '/store/usage.db',
            '--server-id', '1'], [0 => ['pipe', 'r'], 1 => ['file', $log, 'a'], 2 => ['file', $log, 'a']], $pipes, null, $env);
        for ($i = 0; $i < 300; $i++) {
            $ok = @file_get_contents('http://' . $m['auditListen'] . '/health');
            if ($ok !== false) {
                self::$receiverProc = $proc;
                self::$receiverPipes = $pipes;
                return;
            }
            usleep(100000);
        }
        proc_terminate($proc);
        proc_close($proc);
        self::fail('puqminio traffic serve did not start: ' . @file_get_contents($log));
    }

    /**
     * Waits until MinIO has delivered the audit entries of the requests made
     * so far and the receiver has stored them, or fails after a minute.
     * MinIO collects a batch for up to a second before it writes it to its
     * queue directory, and deletes a file there only once the receiver
     * answered 200, which it does once the batch is committed: after that
     * second, an empty directory means everything is stored.
     */
    protected static function waitForTraffic()
    {
        $m = self::minio();
        usleep(1100000);
        $deadline = microtime(true) + 60;
        while (microtime(true) < $deadline) {
            // MinIO keeps undelivered batches as files in a directory of its
            // own under the queue directory.
            if (!(glob($m['auditQueueDir'] . '/*/*') ?: [])) {
                return;
            }
            usleep(200000);
        }
        self::fail('MinIO\'s audit entries were not all stored within a minute: ' . @file_get_contents(self::tmp() . '/receiver.log'));
    }

    private static function stopReceiver()
    {
        if (self::$receiverProc) {
            foreach (self::$receiverPipes as $pipe) {
                @fclose($pipe);
            }
            proc_terminate(self::$receiverProc);
            proc_close(self::$receiverProc);
            self::$receiverProc = null;
        }
    }

    private static function stopMinio()
    {
        foreach (self::$serverProcs as list($proc, $pipes)) {
            foreach ($pipes as $pipe) {
                @fclose($pipe);
            }
            proc_close($proc);
        }
        self::$serverProcs = [];
    }

    /** @return int a WHMCS id not used before in this run */
    protected static function nextId()
    {
        return self::$nextId++;
    }

    /**
     * Server parameters as WHMCS passes them, for the test MinIO server;
     * $via 'laggingEndpoint' reaches it through the proxy whose scanner
     * figures are three hours old.
     */
    protected static function serverParams($serverId = 1, $via = 'endpoint')
    {
        $m = static::minio();
        $rgw = ($m['backend'] ?? 'minio') === 'rgw';
        if ($rgw) {
            $serverId += 100; // its own servers, so stores never mix backends
        }
        list($host, $port) = explode(':', $m[$via]);
        $params = [
            'serverid' => $serverId,
            'serverhostname' => $host,
            'serverip' => '',
            'serverport' => $port,
            'serversecure' => (bool) $m['secure'] && $via === 'endpoint',
            'serverusername' => $m['accessKey'],
            'serverpassword' => $m['secretKey'],
            'serveraccesshash' => $via === 'endpoint' ? (string) ($m['caPem'] ?? '') : '',
        ];
        if ($rgw) {
            $params['serveraccesshash'] = "backend: rgw\n" . $params['serveraccesshash'];
        }
        $pdo = WhmcsEmulation::pdo();
        $exists = $pdo->prepare('SELECT COUNT(*) FROM tblservers WHERE id = ?');
        $exists->execute([$serverId]);
        if (!$exists->fetchColumn()) {
            $pdo->prepare("INSERT INTO tblservers (id, name, type, hostname, port, secure, username, password, accesshash)
                VALUES (?, 'minio', 'puqMinIOS3', ?, ?, ?, ?, ?, ?)")
                ->execute([$serverId, $host, $port, $m['secure'] && $via === 'endpoint' ? 'on' : '', $m['accessKey'],
                    encrypt($m['secretKey']), $params['serveraccesshash']]);
        }
        return $params;
    }

    /**
     * Product settings as configoption1..N, from JSON-named overrides; the
     * rest as WHMCS saves a new product: with the defaults ConfigOptions
     * shows (the binary's).
     */
    protected static function configOptions(array $settings = [])
    {
        $shown = \WHMCS\Module\Server\PuqMinIOS3\ProductSettings::configOptions();
        $out = [];
        $n = 0;
        foreach (\WHMCS\Module\Server\PuqMinIOS3\ProductSettings::fields() as $name => $field) {
            $n++;
            $default = $shown[$field[1]['FriendlyName']]['Default'] ?? '';
            $value = array_key_exists($name, $settings) ? $settings[$name]
                : ($field[1]['Type'] === 'yesno' ? '' : $default);
            if ($value === true) {
                $value = 'on';
            } elseif ($value === false) {
                $value = '';
            }
            $out['configoption' . $n] = (string) $value;
        }
        return $out;
    }

    /**
     * A product and a Pending service in the emulated tables and the $params
     * WHMCS would pass for it.
     */
    protected static function serviceParams(array $settings = [], array $overrides = [])
    {
        $pdo = WhmcsEmulation::pdo();
        $server = self::serverParams();
        $productId = self::nextId();
        $serviceId = self::nextId();
        $clientId = self::nextId();
        $options = self::configOptions($settings);
        $cols = implode(', ', array_keys($options));
        $marks = implode(', ', array_fill(0, count($options), '?'));
        $pdo->prepare("INSERT INTO tblproducts (id, name, servertype, $cols) VALUES (?, 'S3', 'puqMinIOS3', $marks)")
            ->execute(array_merge([$productId], array_values($options)));
        $pdo->prepare("INSERT INTO tblhosting (id, userid, packageid, server, domainstatus) VALUES (?, ?, ?, ?, 'Pending')")
            ->execute([$serviceId, $clientId, $productId, $server['serverid']]);
        return array_merge($server, $options, [
            'serviceid' => $serviceId,
            'userid' => $clientId,
            'pid' => $productId,
            'domain' => '',
            'username' => '',
            'password' => '',
            'status' => 'Pending',
            'configoptions' => [],
            'customfields' => [],
            'clientsdetails' => ['email' => 'client@example.com', 'firstname' => 'Ann', 'language' => ''],
        ], $overrides);
    }

    /**
     * Moves the binary's record of when it last measured the services on
     * $serverId back by $seconds, as if that much time had passed.
     */
    protected static function ageLastMeasurement($serverId, $seconds)
    {
        $db = new \PDO('sqlite:' . self::tmp() . '/store/usage.db');
        $db->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
        $db->exec('PRAGMA busy_timeout = 10000');
        $db->prepare('UPDATE accounts SET checked_at = checked_at - ? WHERE server_id = ? AND checked_at > 0')
            ->execute([(int) $seconds, (int) $serverId]);
    }

    /** The service's row in tblhosting. */
    protected static function hosting($serviceId)
    {
        $stmt = WhmcsEmulation::pdo()->prepare('SELECT * FROM tblhosting WHERE id = ?');
        $stmt->execute([$serviceId]);
        return $stmt->fetch(\PDO::FETCH_ASSOC);
    }

    /** Sets the service's status in tblhosting and in $params, as WHMCS does. */
    protected static function setStatus(array &$params, $status)
    {
        WhmcsEmulation::pdo()->prepare('UPDATE tblhosting SET domainstatus = ? WHERE id = ?')
            ->execute([$status, $params['serviceid']]);
        $params['status'] = $status;
    }

    /**
     * Creates the account through the module and returns $params with the
     * user name and password WHMCS now holds.
     */
    protected function createAccount(array $settings = [], array $overrides = [])
    {
        $params = self::serviceParams($settings, $overrides);
        $this->assertSame('success', puqMinIOS3_CreateAccount($params));
        $row = self::hosting($params['serviceid']);
        $params['username'] = $row['username'];
        $params['password'] = decrypt($row['password']);
        self::setStatus($params, 'Active');
        return $params;
    }

    /**
     * Runs s3cmd as a user, with the secret in a private config file (never
     * on the command line). Returns [exit status, output].
     */
    protected static function s3cmd($accessKey, $secretKey, array $args, $input = '')
    {
        $m = static::minio();
        $cfg = self::tmp() . '/s3cfg-' . bin2hex(random_bytes(4));
        $ini = "[default]\naccess_key = $accessKey\nsecret_key = $secretKey\nhost_base = {$m['endpoint']}\n"
            . "host_bucket = {$m['endpoint']}\nuse_https = " . ($m['secure'] ? 'True' : 'False') . "\n"
            . "signature_v2 = False\nbucket_location = us-east-1\ncheck_ssl_certificate = False\n";
        touch($cfg);
        chmod($cfg, 0600);
        file_put_contents($cfg, $ini);
        try {
            return self::runCommand(array_merge(['s3cmd', '-c', $cfg, '--no-progress'], $args), null, null, $input);
        } finally {
            unlink($cfg);
        }
    }

    /** s3cmd as the root admin. */
    protected static function s3admin(array $args)
    {
        $m = static::minio();
        return self::s3cmd($m['accessKey'], $m['secretKey'], $args);
    }

    /** A local file of $bytes random bytes. */
    protected static function randomFile($bytes)
    {
        $path = self::tmp() . '/obj-' . bin2hex(random_bytes(4));
        file_put_contents($path, random_bytes($bytes));
        return $path;
    }

    /**
     * No secret appears in anything handed to logModuleCall, before WHMCS's
     * own masking.
     */
    protected function assertNoSecretLogged(array $secrets)
    {
        $this->assertNotEmpty(WhmcsEmulation::$moduleLog, 'nothing was logged');
        foreach (WhmcsEmulation::$moduleLog as $entry) {
            foreach ($secrets as $secret) {
                if ((string) $secret === '') {
                    continue;
                }
                $this->assertStringNotContainsString((string) $secret, $entry['raw'],
                    'a secret reached logModuleCall in ' . $entry['action']);
                $this->assertStringNotContainsString((string) $secret, implode("\n", WhmcsEmulation::$activity));
            }
        }
    }
}

PuqTestCase::$givenBinary = getenv('PUQMINIO_BIN');
