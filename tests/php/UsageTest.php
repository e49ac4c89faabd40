<?php

use WHMCS\Module\Server\PuqMinIOS3\Usage;

/**
 * Disk usage: UsageUpdate, the Recalculate button, the after-cron re-check
 * and usage billing, against the real binary and MinIO.
 */
class UsageTest extends PuqTestCase
{
    const WARN = 'puqMinIOS3 Notification disk limit';
    const LIMIT = 'puqMinIOS3 service Suspension Notification disk limit';

    protected function setUp(): void
    {
        parent::setUp();
        self::requireBinary();
        static::minio();
    }

    private function put(array $p, $bytes, $name)
    {
        $file = self::randomFile($bytes);
        list($status, $out) = self::s3cmd($p['username'], $p['password'], ['put', $file, 's3://' . $p['username'] . "-data/$name"]);
        unlink($file);
        return $status === 0;
    }

    private function smallProduct()
    {
        return ['unit' => 'MB', 'diskSpace' => '4', 'warnPercent' => '50', 'usageMode' => 'exact',
            'defaultBucket' => true, 'warnTemplate' => self::WARN, 'limitTemplate' => self::LIMIT];
    }

    public function testUsageUpdateWritesRowsAndSendsEachNoticeOnce()
    {
        $p = $this->createAccount($this->smallProduct());
        $this->assertTrue($this->put($p, 3 * 1048576, 'a.bin'));

        // The warn email fails once: it stays due and goes out next run.
        WhmcsEmulation::$failingTemplates = [self::WARN];
        $this->assertNull(puqMinIOS3_UsageUpdate(self::serverParams()));
        $row = self::hosting($p['serviceid']);
        $this->assertSame(3, (int) $row['diskusage']);
        $this->assertSame(4, (int) $row['disklimit']);
        $this->assertNotSame('0000-00-00 00:00:00', $row['lastupdate']);
        $this->assertEmpty(WhmcsEmulation::$emails);
        $this->assertStringContainsString('was not sent', implode("\n", WhmcsEmulation::$activity));

        WhmcsEmulation::$failingTemplates = [];
        puqMinIOS3_UsageUpdate(self::serverParams());
        $mine = $this->emailsFor($p['serviceid']);
        $this->assertCount(1, $mine);
        $this->assertSame(self::WARN, $mine[0]['messagename']);
        $vars = $mine[0]['customvars'];
        $this->assertSame($p['username'], $vars['username']);
        $this->assertSame('MB', $vars['unit']);
        foreach (['disk_limit_bytes', 'unit_coefficient', 'disk_used_unit', 'disk_free_unit',
                     'disk_used_percentage', 'disk_free_percentage'] as $key) {
            $this->assertArrayHasKey($key, $vars);
        }

        puqMinIOS3_UsageUpdate(self::serverParams());
        $this->assertCount(1, $this->emailsFor($p['serviceid']), 'the warn email went out twice');

        // Past the limit: limited policy and the limit email.
        $this->assertTrue($this->put($p, 2 * 1048576, 'b.bin'));
        puqMinIOS3_UsageUpdate(self::serverParams());
        $mine = $this->emailsFor($p['serviceid']);
        $this->assertSame([self::WARN, self::LIMIT], array_column($mine, 'messagename'));
        $this->assertFalse($this->put($p, 1024, 'c.bin'), 'writes allowed past the limit');
        list($status) = self::s3cmd($p['username'], $p['password'], ['del', 's3://' . $p['username'] . '-data/b.bin']);
        $this->assertSame(0, $status, 'a limited tenant cannot delete to free space');

        // The client's Recalculate button lifts the limit once space is free.
        $this->assertSame('success', puqMinIOS3_RecalculateDiskSpace($p));
        $this->assertSame(3, (int) self::hosting($p['serviceid'])['diskusage']);
        $this->assertTrue($this->put($p, 1024, 'd.bin'), 'writes still blocked after freeing space');

        $this->assertNoSecretLogged([static::minio()['secretKey'], $p['password']]);
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }

    public function testAfterCronRecheckRunsOnlyWhenDue()
    {
        $p = $this->createAccount($this->smallProduct() + ['checkIntervalMinutes' => '60']);
        $this->assertTrue($this->put($p, 1048576, 'a.bin'));
        $hook = WhmcsEmulation::$hooks['AfterCronJob'][0];

        $hook([]);
        $row = self::hosting($p['serviceid']);
        $this->assertSame(1, (int) $row['diskusage'], 'a never-measured service was not due');
        $stamp = $row['lastupdate'];

        $this->assertTrue($this->put($p, 1048576, 'b.bin'));
        $hook([]);
        $this->assertSame(1, (int) self::hosting($p['serviceid'])['diskusage'], 'measured before the interval passed');

        self::ageLastMeasurement(1, 3601);
        $hook([]);
        $this->assertSame(2, (int) self::hosting($p['serviceid'])['diskusage']);
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }

    /**
     * The re-check counts from the binary's own last run, not from the age
     * of MinIO's scanner figures: a scanner three hours behind once made
     * every cron run (every 5 minutes) measure the whole server again.
     */
    public function testRecheckIgnoresALaggingScanner()
    {
        $p = $this->createAccount($this->smallProduct() + ['usageMode' => 'scanner', 'checkIntervalMinutes' => '60']);
        // The service now lives on server 7, reached through the proxy whose
        // scanner figures are three hours old.
        self::serverParams(7, 'laggingEndpoint');
        WhmcsEmulation::pdo()->prepare('UPDATE tblhosting SET server = 7 WHERE id = ?')->execute([$p['serviceid']]);

        $this->assertSame([7 => 'ok'], Usage::recheckDue(), 'a never-measured service was not due');
        $this->assertSame([], Usage::recheckDue(), 'measured again a minute later because the scanner lags');
        self::ageLastMeasurement(7, 3601);
        $this->assertSame([7 => 'ok'], Usage::recheckDue(), 'not measured once the interval had passed');
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }

    public function testMetricProvider()
    {
        $p = $this->createAccount($this->smallProduct());
        $this->assertTrue($this->put($p, 2 * 1048576, 'a.bin'));
        puqMinIOS3_UsageUpdate(self::serverParams());

        $provider = puqMinIOS3_MetricProvider(self::serverParams());
        $this->assertInstanceOf(\WHMCS\UsageBilling\Contracts\Metrics\ProviderInterface::class, $provider);
        $this->assertSame(['diskusage', 'diskmonthavg', 'egress', 'ingress'], array_map(function ($m) {
            return $m->systemName();
        }, $provider->metrics()));

        $usage = $provider->usage();
        $this->assertArrayHasKey($p['username'], $usage);
        $disk = $usage[$p['username']][0];
        $this->assertEqualsWithDelta(2 / 1024, $disk->usage()->value(), 0.0005);
        $this->assertGreaterThan(0, $usage[$p['username']][1]->usage()->value());

        $one = $provider->tenantUsage($p['username']);
        $this->assertEqualsWithDelta(2 / 1024, $one[0]->usage()->value(), 0.0005);
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }

    private function emailsFor($serviceId)
    {
        return array_values(array_filter(WhmcsEmulation::$emails, function ($e) use ($serviceId) {
            return (int) $e['id'] === (int) $serviceId;
        }));
    }
}
