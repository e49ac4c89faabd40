<?php

use WHMCS\Module\Server\PuqMinIOS3\ProductSettings;
use WHMCS\Module\Server\PuqMinIOS3\Request;

/** Envelopes built from WHMCS-shaped $params. */
class RequestTest extends PuqTestCase
{
    private function params(array $over = [])
    {
        return array_merge([
            'serverid' => 3, 'serverhostname' => 's3.example.net', 'serverip' => '10.0.0.5',
            'serverport' => '', 'serversecure' => true, 'serverusername' => 'admin',
            'serverpassword' => 'server-secret-1', 'serveraccesshash' => '',
            'serviceid' => 34, 'userid' => 12, 'username' => '12-34', 'password' => 'svc-secret-22',
            'status' => 'Active', 'clientsdetails' => ['language' => 'German'],
        ], $over);
    }

    public function testServerFromParams()
    {
        $s = Request::server($this->params());
        $this->assertSame(['id' => 3, 'endpoint' => 's3.example.net:443', 'secure' => true, 'accessKey' => 'admin',
            'secretKey' => 'server-secret-1', 'caPem' => '', 'timeoutSeconds' => 30], $s);
        $s = Request::server($this->params(['serverhostname' => '', 'serversecure' => false, 'serverport' => '']));
        $this->assertSame('10.0.0.5:9000', $s['endpoint']);
        $this->assertFalse($s['secure']);
        $s = Request::server($this->params(['serverport' => '9443', 'serveraccesshash' => " -----BEGIN CERTIFICATE-----\nx\n "]));
        $this->assertSame('s3.example.net:9443', $s['endpoint']);
        $this->assertSame("-----BEGIN CERTIFICATE-----\nx", $s['caPem']);
    }

    public function testNoHostGivesEmptyEndpoint()
    {
        $s = Request::server($this->params(['serverhostname' => '', 'serverip' => '']));
        $this->assertSame('', $s['endpoint']);
    }

    public function testServiceAndLanguage()
    {
        $svc = Request::service($this->params());
        $this->assertSame(['id' => 34, 'clientId' => 12, 'username' => '12-34', 'password' => 'svc-secret-22',
            'status' => 'Active', 'lang' => 'german'], $svc);
        $_SESSION['Language'] = 'turkish';
        $this->assertSame('turkish', Request::language($this->params()));
        $_SESSION['Language'] = '../../etc/passwd';
        $this->assertSame('german', Request::language($this->params()));
        $this->assertSame('english', Request::language($this->params(['clientsdetails' => ['language' => '']])));
    }

    public function testProductWithoutOptionsIsAnObject()
    {
        // No configoption at all (a product saved before the module was
        // chosen): JSON must carry {} and not [], which the bridge refuses.
        $json = json_encode(Request::forService('account.info', $this->params()));
        $this->assertStringContainsString('"product":{}', $json);
        $json = json_encode(Request::forService('account.info', $this->params(self::configOptionsOnly(['unit' => 'GB']))));
        $this->assertStringContainsString('"product":{"unit":"GB"', $json);
    }

    public function testProductMapping()
    {
        $options = self::configOptionsOnly([
            'unit' => 'TB', 'diskSpace' => '2.5', 'warnPercent' => '80', 'defaultBucket' => true,
            'allowForeignResources' => false, 'historyDays' => '', 'checkIntervalMinutes' => '15',
        ]);
        $p = ProductSettings::fromConfigOptions($options);
        $this->assertSame('TB', $p['unit']);
        $this->assertSame(2.5, $p['diskSpace']);
        $this->assertSame(80, $p['warnPercent']);
        $this->assertSame(15, $p['checkIntervalMinutes']);
        $this->assertTrue($p['defaultBucket']);
        $this->assertFalse($p['allowForeignResources']);
        $this->assertArrayNotHasKey('historyDays', $p, 'an empty number means "default"');
        $this->assertSame(ProductSettings::defaults()['product']['policy'], $p['policy']);
        $this->assertSame('{client_id}-{service_id}', $p['usernameRule']);
    }

    public function testNonNumericNumberIsPassedAsIsForTheBinaryToName()
    {
        $p = ProductSettings::fromConfigOptions(self::configOptionsOnly(['diskSpace' => 'ten']));
        $this->assertSame('ten', $p['diskSpace']);
    }

    public function testEnvelope()
    {
        putenv('PUQMINIO_DB_PATH=/var/lib/puqminio/usage.db');
        $r = Request::forService('policy.apply', $this->params(self::configOptionsOnly([])), ['mode' => 'auto']);
        $this->assertSame(1, $r['v']);
        $this->assertSame('policy.apply', $r['action']);
        $this->assertSame(['path' => '/var/lib/puqminio/usage.db'], $r['store']);
        $this->assertSame(['mode' => 'auto'], $r['params']);
        $this->assertSame(['server', 'store', 'service', 'product', 'params'], array_slice(array_keys($r), 2));
    }

    public function testStorePathOutsideTheWebRootByDefault()
    {
        putenv('PUQMINIO_DB_PATH');
        $path = Request::storePath();
        $this->assertStringEndsWith('/puqMinIOS3/data/usage.db', $path, 'without ROOTDIR the protected data/ folder');
        $this->assertFileExists(dirname($path) . '/.htaccess');
        $this->assertFileExists(dirname($path) . '/index.php');
    }

    public function testMaskHidesSecretFieldsAndStrings()
    {
        $masked = Request::mask([
            'server' => ['secretKey' => 'server-secret-1', 'accessKey' => 'admin'],
            'service' => ['password' => 'svc-secret-22'],
            'result' => ['html' => '<b>svc-secret-22</b>'],
        ], ['svc-secret-22', 'server-secret-1']);
        $text = json_encode($masked);
        $this->assertStringNotContainsString('svc-secret-22', $text);
        $this->assertStringNotContainsString('server-secret-1', $text);
        $this->assertSame('admin', $masked['server']['accessKey']);
    }

    private static function configOptionsOnly(array $settings)
    {
        return self::configOptions($settings);
    }
}
