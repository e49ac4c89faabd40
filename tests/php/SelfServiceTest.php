<?php

use WHMCS\Module\Server\PuqMinIOS3\Request;
use WHMCS\Module\Server\PuqMinIOS3\SelfService;

/**
 * Self-service (issue 13) through the module's custom functions as WHMCS
 * calls them: a POST of the module's form with the session's CSRF token,
 * then the product details page in the same request. Real binary, real
 * MinIO, s3cmd as the client's application.
 */
class SelfServiceTest extends PuqTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        self::requireBinary();
        self::minio();
        SelfService::$made = null;
        SelfService::$returnTo = '';
    }

    protected function tearDown(): void
    {
        $_POST = [];
        unset($_SERVER['REQUEST_METHOD']);
        SelfService::$made = null;
        SelfService::$returnTo = '';
    }

    /** A POST of a module form: the fields, the session's token, a new request. */
    private static function post(array $fields, $token = true)
    {
        SelfService::$made = null;
        SelfService::$returnTo = '';
        $_SERVER['REQUEST_METHOD'] = 'POST';
        $_POST = $fields + ($token ? ['token' => generate_token('plain')] : []);
    }

    /** The client's page after the form, in the same request, as WHMCS shows it. */
    private static function page(array $p, array $get = [])
    {
        $_GET = $get;
        return puqMinIOS3_ClientArea($p);
    }

    public function testClientMakesAndRemovesBucketsAndKeys()
    {
        $_SESSION['Language'] = 'german';
        $p = $this->createAccount(['defaultBucket' => true, 'selfService' => 'buckets=3 keys=2', 'permissions' => 'public']);
        $secrets = [self::minio()['secretKey'], $p['password']];
        $photos = $p['username'] . '-photos';

        // Only a POST with the session's token changes anything.
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $_POST = ['puqs3_name' => 'photos', 'token' => generate_token('plain')];
        $this->assertStringContainsString('expired', puqMinIOS3_ClientCreateBucket($p));
        self::post(['puqs3_name' => 'photos', 'token' => 'forged-token']);
        $this->assertStringContainsString('expired', puqMinIOS3_ClientCreateBucket($p));
        list($status) = self::s3admin(['ls', "s3://$photos"]);
        $this->assertNotSame(0, $status, 'a forged form made the bucket');

        self::post(['puqs3_name' => 'photos', 'puqs3_return' => 'overview']);
        $this->assertSame('success', puqMinIOS3_ClientCreateBucket($p));
        $html = self::page($p);
        $this->assertStringContainsString($photos, $html);
        $this->assertStringContainsString('2 von 3 Buckets', $html);

        // Refusals in the client's language.
        self::post(['puqs3_name' => 'Fotos!']);
        $this->assertStringStartsWith('Nicht ausgeführt', puqMinIOS3_ClientCreateBucket($p));
        self::post(['puqs3_name' => 'photos']);
        $this->assertStringContainsString('Bucket dieses Namens', puqMinIOS3_ClientCreateBucket($p));

        // A read-only key for the new bucket: its secret on the page WHMCS
        // shows next, once; with s3cmd it reads there and nowhere else.
        self::post(['puqs3_label' => 'Kamera', 'puqs3_buckets' => [$photos], 'puqs3_readonly' => '1', 'puqs3_return' => 'keys']);
        $this->assertSame('success', puqMinIOS3_ClientCreateKey($p));
        $html = self::page($p);
        $this->assertSame(1, preg_match('/id="puqs3-newkey-access" dir="ltr">([A-Z0-9]+)</', $html, $a), 'no access key shown');
        $this->assertSame(1, preg_match('/id="puqs3-newkey-secret" dir="ltr">([A-Za-z0-9]+)</', $html, $s), 'no secret shown');
        list(, $access) = $a;
        list(, $secret) = $s;
        $secrets[] = $secret;
        $file = self::randomFile(100);
        $this->assertSame(0, self::s3admin(['put', $file, "s3://$photos/a.bin"])[0]);
        $this->assertSame(0, self::s3cmd($access, $secret, ['ls', "s3://$photos"])[0], 'the key cannot list its bucket');
        $this->assertNotSame(0, self::s3cmd($access, $secret, ['put', $file, "s3://$photos/b.bin"])[0], 'the read-only key wrote');
        $this->assertNotSame(0, self::s3cmd($access, $secret, ['ls', 's3://' . $p['username'] . '-data'])[0], 'the key reaches another bucket');
        SelfService::$made = null;
        $_POST = [];
        $html = self::page($p, ['puqs3page' => 'keys']);
        $this->assertStringNotContainsString($secret, $html, 'the secret is shown again');
        $this->assertStringContainsString('Kamera', $html);
        $this->assertStringContainsString($access, $html);

        self::post(['puqs3_label' => 'zwei']);
        $this->assertSame('success', puqMinIOS3_ClientCreateKey($p));
        $secrets[] = SelfService::$made['secretKey'];
        self::post(['puqs3_label' => 'drei']);
        $this->assertStringContainsString('keine weiteren Zugriffsschlüssel', puqMinIOS3_ClientCreateKey($p));

        // Bucket settings.
        self::post(['puqs3_bucket' => $photos, 'puqs3_enabled' => '1', 'puqs3_return' => 'bucket']);
        $this->assertSame('success', puqMinIOS3_ClientBucketVersioning($p));
        $html = self::page($p);
        $this->assertStringContainsString('id="puqs3-versioning"', $html, 'the bucket page does not follow the form');
        $this->assertStringContainsString('>Ausschalten<', $html);
        self::post(['puqs3_bucket' => $photos, 'puqs3_expire_days' => '30', 'puqs3_noncurrent_days' => '']);
        $this->assertStringContainsString('Häkchen', puqMinIOS3_ClientBucketLifecycle($p), 'an expiry rule unconfirmed');
        self::post(['puqs3_bucket' => $photos, 'puqs3_expire_days' => '30', 'puqs3_confirm' => '1']);
        $this->assertSame('success', puqMinIOS3_ClientBucketLifecycle($p));
        self::post(['puqs3_bucket' => $photos, 'puqs3_public' => '1', 'puqs3_prefix' => 'site/']);
        $this->assertSame('success', puqMinIOS3_ClientBucketPublic($p));
        list(, $info) = self::s3admin(['info', "s3://$photos"]);
        $this->assertStringContainsString('site/*', $info, 'no public read on the bucket');

        // Revoke, then delete the bucket: with objects, only with its name.
        self::post(['puqs3_key' => $access]);
        $this->assertSame('success', puqMinIOS3_ClientRevokeKey($p));
        $this->assertNotSame(0, self::s3cmd($access, $secret, ['ls', "s3://$photos"])[0], 'the revoked key works');
        self::post(['puqs3_bucket' => $photos, 'puqs3_confirm' => '']);
        $this->assertStringContainsString('Geben Sie seinen Namen ein', puqMinIOS3_ClientDeleteBucket($p));
        self::post(['puqs3_bucket' => $photos, 'puqs3_confirm' => $photos, 'puqs3_return' => 'overview']);
        $this->assertSame('success', puqMinIOS3_ClientDeleteBucket($p));
        $this->assertNotSame(0, self::s3admin(['ls', "s3://$photos"])[0], 'the bucket is still there');
        $this->assertStringNotContainsString($photos, self::page($p));

        // Suspended: the client changes nothing.
        $this->assertSame('success', puqMinIOS3_SuspendAccount($p));
        self::post(['puqs3_name' => 'late']);
        $this->assertStringContainsString('gesperrt', puqMinIOS3_ClientCreateBucket($p));

        $this->assertNoSecretLogged($secrets);
        foreach (WhmcsEmulation::$moduleLog as $entry) {
            foreach (array_slice($secrets, 2) as $s) {
                $this->assertStringNotContainsString(base64_encode($s), $entry['raw']);
            }
        }
        unlink($file);
    }

    public function testAdminRevokesAndDeletesFromTheTab()
    {
        $p = $this->createAccount(['defaultBucket' => true]);
        self::post(['puqs3_label' => 'admin test']);
        $this->assertSame('success', puqMinIOS3_ClientCreateKey($p));
        $made = SelfService::$made;
        $tab = puqMinIOS3_AdminServicesTabFields($p)['MinIO S3'];
        $this->assertStringContainsString($made['accessKey'], $tab);
        $this->assertStringNotContainsString($made['secretKey'], $tab);
        $this->assertStringContainsString('ac=AdminRevokeKey', $tab);
        $this->assertStringNotContainsString('<form', $tab, 'a form inside WHMCS\'s service form');

        // WHMCS's own button, without the panel's form: a plain answer.
        $_POST = [];
        $_SERVER['REQUEST_METHOD'] = 'POST';
        $this->assertStringContainsString('MinIO S3 panel', puqMinIOS3_AdminRevokeKey($p));
        self::post(['puqs3_key' => $made['accessKey']]);
        $this->assertSame('success', puqMinIOS3_AdminRevokeKey($p));
        $this->assertNotSame(0, self::s3cmd($made['accessKey'], $made['secretKey'], ['ls', 's3://' . $p['username'] . '-data'])[0]);

        // A suspended tenant's bucket: the admin deletes it (its name typed).
        $this->assertSame('success', puqMinIOS3_SuspendAccount($p));
        self::post(['puqs3_bucket' => $p['username'] . '-data', 'puqs3_confirm' => $p['username'] . '-data']);
        $this->assertSame('success', puqMinIOS3_AdminDeleteBucket($p));
        $this->assertNotSame(0, self::s3admin(['ls', 's3://' . $p['username'] . '-data'])[0]);
        $logged = array_column(WhmcsEmulation::$moduleLog, 'action');
        $this->assertContains('key.revoke', $logged);
        $this->assertContains('bucket.delete', $logged);
        $this->assertNoSecretLogged([self::minio()['secretKey'], $p['password'], $made['secretKey']]);
    }

    public function testFormParamsAreOnlyRetyped()
    {
        $this->assertSame(['name' => 'x', 'objectLock' => true], SelfService::formParams('bucket.create', ['puqs3_name' => 'x', 'puqs3_objectlock' => '1']));
        $this->assertSame(['bucket' => '', 'expireDays' => 0, 'noncurrentDays' => 'ten', 'confirm' => false],
            SelfService::formParams('bucket.lifecycle', ['puqs3_noncurrent_days' => 'ten']));
        $this->assertSame(['label' => '', 'buckets' => ['a', 'b'], 'readOnly' => false, 'expires' => ''],
            SelfService::formParams('key.create', ['puqs3_buckets' => ['a', ['x'], 'b'], 'puqs3_readonly' => '0']));
        $urls = Request::clientPage(['serviceid' => 34], 'keys')['actionUrls'];
        $this->assertSame('clientarea.php?action=productdetails&id=34&modop=custom&a=ClientCreateKey', $urls['key.create']);
    }
}
