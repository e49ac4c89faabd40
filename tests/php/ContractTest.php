<?php

/**
 * Every module function returns the type WHMCS documents, also when the
 * binary is missing or answers with an error (the sample module's test).
 */
class ContractTest extends PuqTestCase
{
    private function params()
    {
        return array_merge([
            'serverid' => 1, 'serverhostname' => '127.0.0.1', 'serverip' => '', 'serverport' => '1',
            'serversecure' => false, 'serverusername' => 'admin', 'serverpassword' => 'srv-secret-9',
            'serveraccesshash' => '', 'serviceid' => 7, 'userid' => 2, 'pid' => 1, 'domain' => '',
            'username' => '2-7', 'password' => 'svc-secret-9', 'status' => 'Active',
            'clientsdetails' => ['language' => 'english'],
        ], self::configOptions());
    }

    public function binaries()
    {
        return [
            'missing binary' => ['/nonexistent/puqminio', 'binary is missing'],
            'binary answers an error' => [__DIR__ . '/fixtures/error.sh', 'cannot be reached Retrying is safe.'],
        ];
    }

    public function testMetaData()
    {
        $meta = puqMinIOS3_MetaData();
        $this->assertIsArray($meta);
        $this->assertSame('1.1', $meta['APIVersion']);
        $this->assertTrue($meta['RequiresServer']);
        $this->assertSame('username', $meta['ListAccountsUniqueIdentifierField']);
        $this->assertIsArray(puqMinIOS3_ConfigOptions());
        $this->assertIsArray(puqMinIOS3_AdminCustomButtonArray());
        $this->assertSame(['Update Policy', 'Set Standard Policy', 'Set Limited Policy', 'Recalculate Disk Space',
            'Delete Bucket', 'Revoke Access Key'], array_keys(puqMinIOS3_AdminCustomButtonArray()));
        $this->assertSame(['Recalculate Disk Space' => 'ClientRecalculateDiskSpace'], puqMinIOS3_ClientAreaCustomButtonArray());
        $this->assertSame(['ClientCreateBucket', 'ClientDeleteBucket', 'ClientBucketVersioning', 'ClientBucketLifecycle',
            'ClientBucketPublic', 'ClientCreateKey', 'ClientRevokeKey'], puqMinIOS3_ClientAreaAllowedFunctions());
        foreach (array_merge(array_values(puqMinIOS3_AdminCustomButtonArray()), array_values(puqMinIOS3_ClientAreaCustomButtonArray()),
                     puqMinIOS3_ClientAreaAllowedFunctions()) as $suffix) {
            $this->assertTrue(function_exists('puqMinIOS3_' . $suffix), $suffix);
        }
    }

    /** @dataProvider binaries */
    public function testFunctionsReturnDocumentedTypesOnFailure($binary, $expected)
    {
        putenv('PUQMINIO_BIN=' . $binary);
        try {
            $p = $this->params();
            // The self-service forms as they are posted, with the session's token.
            $_SERVER['REQUEST_METHOD'] = 'POST';
            $_POST = ['token' => generate_token('plain'), 'puqs3_name' => 'photos', 'puqs3_bucket' => '2-7-data', 'puqs3_key' => 'PQMAAAAAAAAAAAAAAAAA'];
            foreach (['CreateAccount', 'SuspendAccount', 'UnsuspendAccount', 'TerminateAccount', 'ChangePassword',
                         'ChangePackage', 'UpdatePolicy', 'SetStandardPolicy', 'SetLimitedPolicy',
                         'RecalculateDiskSpace', 'ClientRecalculateDiskSpace', 'ClientCreateBucket', 'ClientDeleteBucket',
                         'ClientBucketVersioning', 'ClientBucketLifecycle', 'ClientBucketPublic', 'ClientCreateKey',
                         'ClientRevokeKey', 'AdminDeleteBucket', 'AdminRevokeKey'] as $fn) {
                $out = call_user_func('puqMinIOS3_' . $fn, $p);
                $this->assertIsString($out, $fn);
                $this->assertNotSame('success', $out, $fn);
                $this->assertStringContainsString($expected, $out, $fn);
            }
            $test = puqMinIOS3_TestConnection($p);
            $this->assertFalse($test['success']);
            $this->assertStringContainsString($expected, $test['error']);

            $tab = puqMinIOS3_AdminServicesTabFields($p);
            $this->assertIsArray($tab);
            $this->assertStringContainsString('alert', $tab['MinIO S3']);

            $this->assertIsString(puqMinIOS3_ClientArea($p));

            $list = puqMinIOS3_ListAccounts($p);
            $this->assertFalse($list['success']);
            $this->assertIsArray($list['accounts']);

            $this->assertIsObject(puqMinIOS3_MetricProvider($p));

            WhmcsEmulation::pdo()->exec("INSERT INTO tblproducts (id, servertype) VALUES (1, 'puqMinIOS3')");
            WhmcsEmulation::pdo()->exec("INSERT INTO tblhosting (id, userid, packageid, server, username, domainstatus)
                VALUES (7, 2, 1, 1, '2-7', 'Active')");
            $this->assertNull(puqMinIOS3_UsageUpdate($p));
            $this->assertNotEmpty(WhmcsEmulation::$activity, 'a failed usage update is recorded');
            $this->assertStringContainsString($expected, end(WhmcsEmulation::$activity));

            foreach (WhmcsEmulation::$moduleLog as $entry) {
                $this->assertStringNotContainsString('srv-secret-9', $entry['raw']);
                $this->assertStringNotContainsString('svc-secret-9', $entry['raw']);
            }
        } finally {
            putenv('PUQMINIO_BIN');
            $_POST = [];
            unset($_SERVER['REQUEST_METHOD']);
        }
    }

    public function testHookIsRegistered()
    {
        $this->assertNotEmpty(WhmcsEmulation::$hooks['AfterCronJob'] ?? []);
    }
}
