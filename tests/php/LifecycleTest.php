<?php

/**
 * A service's whole life driven only through the module functions, against
 * the real binary and a real MinIO server, checked with s3cmd as the tenant.
 */
class LifecycleTest extends PuqTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        self::requireBinary();
        static::minio();
    }

    private function canList(array $params, $bucket)
    {
        list($status) = self::s3cmd($params['username'], $params['password'], ['ls', 's3://' . $bucket]);
        return $status === 0;
    }

    private function canPut(array $params, $bucket, $name)
    {
        $file = self::randomFile(1024);
        list($status, $out) = self::s3cmd($params['username'], $params['password'], ['put', $file, "s3://$bucket/$name"]);
        unlink($file);
        return $status === 0;
    }

    public function testTestConnection()
    {
        $this->assertSame(['success' => true, 'error' => ''], puqMinIOS3_TestConnection(self::serverParams()));
        $this->assertNoSecretLogged([static::minio()['secretKey']]);
    }

    public function testTestConnectionWithWrongKeySaysSo()
    {
        $p = self::serverParams();
        $p['serverpassword'] = 'wrong-secret-key-123';
        $r = puqMinIOS3_TestConnection($p);
        $this->assertFalse($r['success']);
        $this->assertNotSame('', $r['error']);
        $this->assertNoSecretLogged(['wrong-secret-key-123']);
    }

    public function testLifecycle()
    {
        $secrets = [static::minio()['secretKey']];
        $p = $this->createAccount(['defaultBucket' => true, 'bucketSuffix' => 'data', 'diskSpace' => '1', 'unit' => 'GB']);
        $secrets[] = $p['password'];

        // WHMCS now holds the MinIO user name and password.
        $this->assertSame($p['userid'] . '-' . $p['serviceid'], $p['username']);
        $this->assertSame(12, strlen($p['password']));
        $bucket = $p['username'] . '-data';

        // The tenant uses its default bucket; other buckets stay closed.
        $this->assertTrue($this->canPut($p, $bucket, 'hello.bin'), 'tenant cannot write its bucket');
        list(, $ls) = self::s3cmd($p['username'], $p['password'], ['ls', "s3://$bucket"]);
        $this->assertStringContainsString('hello.bin', $ls);
        self::s3admin(['mb', 's3://foreign-' . $p['serviceid']]);
        $this->assertFalse($this->canList($p, 'foreign-' . $p['serviceid']), 'tenant reaches a foreign bucket');

        // Suspend and unsuspend.
        $this->assertSame('success', puqMinIOS3_SuspendAccount($p));
        self::setStatus($p, 'Suspended');
        $this->assertFalse($this->canList($p, $bucket), 'a suspended tenant still gets in');
        $this->assertSame('success', puqMinIOS3_UnsuspendAccount($p));
        self::setStatus($p, 'Active');
        $this->assertTrue($this->canList($p, $bucket));

        // Change the password: the old one stops working.
        $old = $p;
        $p['password'] = 'NewPass-' . bin2hex(random_bytes(6));
        $secrets[] = $p['password'];
        $this->assertSame('success', puqMinIOS3_ChangePassword($p));
        $this->assertTrue($this->canList($p, $bucket));
        $this->assertFalse($this->canList($old, $bucket), 'the old password still works');

        // Change package: the new product's settings apply.
        $p = array_merge($p, self::configOptions(['diskSpace' => '2', 'unit' => 'GB', 'defaultBucket' => true]));
        $this->assertSame('success', puqMinIOS3_ChangePackage($p));
        $this->assertTrue($this->canPut($p, $bucket, 'after-upgrade.bin'));

        // Policy buttons.
        $this->assertSame('success', puqMinIOS3_SetLimitedPolicy($p));
        $this->assertFalse($this->canPut($p, $bucket, 'limited.bin'), 'the limited policy allows writes');
        $this->assertTrue($this->canList($p, $bucket), 'the limited policy blocks reading');
        $this->assertSame('success', puqMinIOS3_SetStandardPolicy($p));
        $this->assertTrue($this->canPut($p, $bucket, 'standard.bin'));
        $this->assertSame('success', puqMinIOS3_UpdatePolicy($p));
        $this->assertTrue($this->canPut($p, $bucket, 'auto.bin'));

        // Pages.
        $tab = puqMinIOS3_AdminServicesTabFields($p);
        $this->assertStringContainsString($p['username'], $tab['MinIO S3']);
        $this->assertStringNotContainsString('alert-danger', $tab['MinIO S3']);
        $html = puqMinIOS3_ClientArea($p);
        $this->assertStringContainsString($p['username'], $html);
        $_GET['puqs3page'] = 'stats';
        $this->assertNotSame('', puqMinIOS3_ClientArea($p));
        $_GET = [];

        // The sync tool sees the account (on MinIO; RGW says it does not
        // offer the listing).
        $list = puqMinIOS3_ListAccounts(self::serverParams());
        if (static::backend() === 'rgw') {
            $this->assertFalse($list['success']);
            $this->assertStringContainsString('not offered', $list['error']);
            $list = ['success' => true, 'accounts' => [['username' => $p['username'], 'status' => 'Active',
                'uniqueIdentifier' => $p['username'], 'created' => date('Y-m-d H:i:s')]]];
        }
        $this->assertTrue($list['success']);
        $mine = array_values(array_filter($list['accounts'], function ($a) use ($p) {
            return $a['username'] === $p['username'];
        }));
        $this->assertCount(1, $mine);
        $this->assertSame('Active', $mine[0]['status']);
        $this->assertSame($p['username'], $mine[0]['uniqueIdentifier']);
        $this->assertMatchesRegularExpression('/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', $mine[0]['created']);

        // Terminate removes data and user; a retry is harmless.
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
        list(, $buckets) = self::s3admin(['ls']);
        $this->assertStringNotContainsString($bucket, $buckets);
        $this->assertFalse($this->canList($p, $bucket));
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p), 'terminate is not safe to repeat');

        $this->assertNoSecretLogged($secrets);
    }

    public function testSecretsNeverOnTheCommandLine()
    {
        $log = self::tmp() . '/argv.log';
        @unlink($log);
        putenv('PUQMINIO_ARGV_LOG=' . $log);
        putenv('PUQMINIO_REAL_BIN=' . self::requireBinary());
        putenv('PUQMINIO_BIN=' . __DIR__ . '/fixtures/recorder.sh');
        try {
            $p = $this->createAccount();
            $p['password'] = 'Another-' . bin2hex(random_bytes(6));
            $this->assertSame('success', puqMinIOS3_ChangePassword($p));
            $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
        } finally {
            putenv('PUQMINIO_BIN');
        }
        $lines = file($log, FILE_IGNORE_NEW_LINES);
        $this->assertCount(3, $lines);
        $this->assertSame(['rpc', 'rpc', 'rpc'], $lines);
    }
}
