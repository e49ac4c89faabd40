<?php

/**
 * Bad $params give a message an admin can act on and change nothing on
 * MinIO or in WHMCS.
 */
class BadParamsTest extends PuqTestCase
{
    protected function setUp(): void
    {
        parent::setUp();
        self::requireBinary();
        static::minio();
    }

    /** User names on MinIO. */
    private function users()
    {
        $list = puqMinIOS3_ListAccounts(self::serverParams());
        $this->assertTrue($list['success'], $list['error'] ?? '');
        return array_column($list['accounts'], 'username');
    }

    private function assertCreateRefused(array $params, $expect)
    {
        $before = $this->users();
        $out = puqMinIOS3_CreateAccount($params);
        $this->assertNotSame('success', $out);
        $this->assertStringContainsStringIgnoringCase($expect, $out);
        $this->assertSame($before, $this->users(), 'a refused create changed MinIO');
        $this->assertSame('', self::hosting($params['serviceid'])['username'], 'a refused create changed WHMCS');
        return $out;
    }

    public function testMissingServer()
    {
        $p = self::serviceParams();
        $p['serverhostname'] = '';
        $p['serverip'] = '';
        $this->assertCreateRefused($p, 'endpoint');
    }

    public function testNonNumericDiskSpace()
    {
        $this->assertCreateRefused(self::serviceParams(['diskSpace' => 'ten']), 'diskSpace');
    }

    public function testNonNumericWarnPercent()
    {
        $this->assertCreateRefused(self::serviceParams(['warnPercent' => '90%']), 'warnPercent');
    }

    public function testBrokenPolicy()
    {
        $this->assertCreateRefused(self::serviceParams(['policy' => '{"Version": "2012-10-17", "Statement": [']), 'policy');
    }

    public function testPolicyReachingOtherTenants()
    {
        $policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}';
        $this->assertCreateRefused(self::serviceParams(['policy' => $policy]), 'policy');
    }

    public function testEmptyNewPassword()
    {
        $p = $this->createAccount(['defaultBucket' => true]);
        $bucket = $p['username'] . '-data';
        $empty = $p;
        $empty['password'] = '';
        $out = puqMinIOS3_ChangePassword($empty);
        $this->assertNotSame('success', $out);
        $this->assertStringContainsString('password', $out);
        list($status) = self::s3cmd($p['username'], $p['password'], ['ls', 's3://' . $bucket]);
        $this->assertSame(0, $status, 'the old password stopped working');
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }
}
