<?php

use WHMCS\Module\Server\PuqMinIOS3\Bridge;
use WHMCS\Module\Server\PuqMinIOS3\BridgeException;

/**
 * The process runner against failures a real binary cannot produce on
 * demand: missing, not executable, garbage, silence, floods, proc_open off.
 */
class BridgeTest extends PuqTestCase
{
    const FIXTURES = __DIR__ . '/fixtures';

    private function failure(Bridge $bridge)
    {
        try {
            $bridge->run(['v' => 1, 'action' => 'server.check']);
        } catch (BridgeException $e) {
            return $e;
        }
        $this->fail('no BridgeException');
    }

    public function testArchitectureNames()
    {
        $this->assertSame('amd64', Bridge::arch('x86_64'));
        $this->assertSame('amd64', Bridge::arch('AMD64'));
        $this->assertSame('arm64', Bridge::arch('aarch64'));
        $this->assertSame('arm64', Bridge::arch('arm64'));
    }

    public function testDefaultBinaryIsPerArchitectureUnlessOverridden()
    {
        putenv('PUQMINIO_BIN');
        $this->assertMatchesRegularExpression('#/puqMinIOS3/bin/puqminio-linux-(amd64|arm64)$#', Bridge::defaultBinary());
        putenv('PUQMINIO_BIN=/opt/x/puqminio');
        $this->assertSame('/opt/x/puqminio', Bridge::defaultBinary());
        putenv('PUQMINIO_BIN');
    }

    public function testMissingBinaryIsNamed()
    {
        $e = $this->failure(new Bridge('/nonexistent/puqminio-linux-amd64', 5));
        $this->assertStringContainsString('binary is missing', $e->getMessage());
        $this->assertStringContainsString('/nonexistent/puqminio-linux-amd64', $e->getMessage());
    }

    public function testUnshippedArchitectureIsSaid()
    {
        $e = $this->failure(new Bridge('/m/bin/puqminio-linux-' . Bridge::arch('armv7l'), 5));
        $this->assertStringContainsString('x86_64 (amd64) and aarch64 (arm64)', $e->getMessage());
        $this->assertStringContainsString('/m/bin/puqminio-linux-armv7l', $e->getMessage());
    }

    public function testLostRunBitSaysChmod()
    {
        $copy = self::tmp() . '/no-run-bit';
        copy(self::FIXTURES . '/echo-args.sh', $copy);
        chmod($copy, 0644);
        $e = $this->failure(new Bridge($copy, 5));
        $this->assertStringContainsString('not executable', $e->getMessage());
        $this->assertStringContainsString('chmod 755 ' . $copy, $e->getMessage());
    }

    public function testNonJsonAnswerIsPlainWithExitStatusAndStderr()
    {
        $e = $this->failure(new Bridge(self::FIXTURES . '/garbage.sh', 5));
        $this->assertStringContainsString('did not answer with JSON (exit status 3)', $e->getMessage());
        $this->assertStringContainsString('index out of range', $e->getMessage());
    }

    public function testSilentBinaryIsKilledAtTheDeadline()
    {
        $pidFile = self::tmp() . '/sleep.pid';
        @unlink($pidFile);
        putenv('PUQMINIO_TEST_PIDFILE=' . $pidFile);
        $start = microtime(true);
        try {
            $e = $this->failure(new Bridge(self::FIXTURES . '/sleep.sh', 1));
        } finally {
            putenv('PUQMINIO_TEST_PIDFILE');
        }
        $this->assertLessThan(4, microtime(true) - $start);
        $this->assertStringContainsString('did not answer within 1 seconds', $e->getMessage());
        $this->assertTrue($e->isRetryable());
        $pid = (int) trim((string) @file_get_contents($pidFile));
        $this->assertGreaterThan(1, $pid, 'the fixture did not record its PID');
        // Checked this way, other test runs on the machine cannot make it fail.
        $this->assertFileDoesNotExist('/proc/' . $pid, 'the stuck process ' . $pid . ' was not killed');
    }

    public function testFloodIsCappedAndStopped()
    {
        $start = microtime(true);
        $e = $this->failure(new Bridge(self::FIXTURES . '/flood.sh', 20));
        $this->assertStringContainsString('printed more than', $e->getMessage());
        $this->assertLessThan(15, microtime(true) - $start);
    }

    public function testOnlyRpcOnTheCommandLineAndTheRequestOnStdin()
    {
        $bridge = new Bridge(self::FIXTURES . '/echo-args.sh', 5);
        $request = ['v' => 1, 'action' => 'x', 'server' => ['secretKey' => 'top-secret-value'],
            'pad' => str_repeat('a', 300000)];
        $response = $bridge->run($request);
        $this->assertTrue($response['ok']);
        $this->assertSame(1, $response['result']['argc']);
        $this->assertSame('rpc', $response['result']['args']);
        $this->assertSame(strlen(json_encode($request, JSON_UNESCAPED_SLASHES)), $response['result']['stdinBytes']);
    }

    public function testDisabledProcOpenIsSaidPlainly()
    {
        $code = 'define("WHMCS", true); require ' . var_export(dirname(__DIR__, 2)
                . '/whmcs/modules/servers/puqMinIOS3/lib/autoload.php', true) . ';'
            . '$b = new WHMCS\\Module\\Server\\PuqMinIOS3\\Bridge("/bin/true", 5);'
            . 'try { $b->run([]); } catch (Exception $e) { echo $e->getMessage(); }';
        list(, $out) = self::runCommand([PHP_BINARY, '-d', 'disable_functions=proc_open', '-r', $code]);
        $this->assertStringContainsString('proc_open is disabled', $out);
        $this->assertStringContainsString('cron may use a different php.ini', $out);
    }
}
