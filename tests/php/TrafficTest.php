<?php

use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;

/**
 * Traffic through WHMCS: MinIO's audit webhook goes to the real
 * `puqminio traffic serve`, tenants move data with s3cmd, and the module's
 * metric provider, UsageUpdate and emails carry the figures into WHMCS.
 */
class TrafficTest extends PuqTestCase
{
    const EGRESS = 'puqMinIOS3 Notification egress allowance';

    protected function setUp(): void
    {
        parent::setUp();
        self::requireBinary();
        self::minio();
        self::trafficReceiver();
    }

    /** Uploads $bytes to the tenant's default bucket and downloads them $reads times. */
    private function move(array $p, $bytes, $reads)
    {
        $file = self::randomFile($bytes);
        $url = 's3://' . $p['username'] . '-data/t.bin';
        list($status, $out) = self::s3cmd($p['username'], $p['password'], ['put', $file, $url]);
        $this->assertSame(0, $status, $out);
        for ($i = 0; $i < $reads; $i++) {
            list($status, $out) = self::s3cmd($p['username'], $p['password'], ['get', '--force', $url, $file]);
            $this->assertSame(0, $status, $out);
        }
        unlink($file);
    }

    private static function byName(array $metrics)
    {
        $out = [];
        foreach ($metrics as $m) {
            $out[$m->systemName()] = $m;
        }
        return $out;
    }

    public function testMetricProviderReportsTheMonthsTraffic()
    {
        $measured = $this->createAccount(['traffic' => true, 'defaultBucket' => true]);
        $unmeasured = $this->createAccount(['defaultBucket' => true]);
        $this->move($measured, 3 * 1048576, 2);
        $this->move($unmeasured, 1048576, 1);
        self::waitForTraffic();

        $provider = puqMinIOS3_MetricProvider(self::serverParams());
        $metrics = self::byName($provider->metrics());
        $this->assertSame(['diskusage', 'diskmonthavg', 'egress', 'ingress'], array_keys($metrics));
        foreach (['egress', 'ingress'] as $name) {
            $this->assertSame(MetricInterface::TYPE_PERIOD_MONTH, $metrics[$name]->type(), $name . ' is a month-to-date figure');
            $this->assertInstanceOf(\WHMCS\UsageBilling\Metrics\Units\GigaBytes::class, $metrics[$name]->units());
        }

        $usage = $provider->usage();
        $mine = self::byName($usage[$measured['username']]);
        // Bodies only: the objects plus listing and error answers of a few
        // KiB, in GB rounded to six decimals.
        $egress = $mine['egress']->usage()->value();
        $ingress = $mine['ingress']->usage()->value();
        $this->assertGreaterThanOrEqual(6 / 1024 - 1e-6, $egress);
        $this->assertLessThan(6 / 1024 + 0.0001, $egress);
        $this->assertGreaterThanOrEqual(3 / 1024 - 1e-6, $ingress);
        $this->assertLessThan(3 / 1024 + 0.0001, $ingress);

        $other = self::byName($usage[$unmeasured['username']]);
        $this->assertNull($other['egress']->usage(), 'traffic reported for a product that does not measure it');
        $this->assertNull($other['ingress']->usage());
        $this->assertNotNull($other['diskusage']->usage());

        $one = self::byName($provider->tenantUsage($measured['username']));
        $this->assertEqualsWithDelta($egress, $one['egress']->usage()->value(), 1e-6);
        $this->assertNoSecretLogged([self::minio()['secretKey'], self::minio()['auditToken'], $measured['password']]);
        $this->assertSame('success', puqMinIOS3_TerminateAccount($measured));
        $this->assertSame('success', puqMinIOS3_TerminateAccount($unmeasured));
    }

    public function testEgressAllowanceEmailOncePerMonth()
    {
        // 0.002 GB is 2,147,483 bytes: 1 MiB downloaded is under it, 3 MiB
        // (146 %) over.
        $p = $this->createAccount(['traffic' => true, 'defaultBucket' => true, 'egressAllowanceGB' => '0.002',
            'egressTemplate' => self::EGRESS]);
        $this->move($p, 1048576, 1);
        self::waitForTraffic();
        puqMinIOS3_UsageUpdate(self::serverParams());
        $this->assertSame([], $this->emailsFor($p['serviceid']), 'warned under the allowance');
        $row = self::hosting($p['serviceid']);
        $this->assertSame(1, (int) $row['bwusage'], 'the month\'s egress in MB');
        $this->assertSame(2, (int) $row['bwlimit'], 'the allowance in MB');

        $this->move($p, 1048576, 2);
        self::waitForTraffic();
        // The email fails once: it stays due and goes out on the next run.
        WhmcsEmulation::$failingTemplates = [self::EGRESS];
        puqMinIOS3_UsageUpdate(self::serverParams());
        $this->assertSame([], $this->emailsFor($p['serviceid']));
        $this->assertStringContainsString('"' . self::EGRESS . '" was not sent', implode("\n", WhmcsEmulation::$activity));

        WhmcsEmulation::$failingTemplates = [];
        puqMinIOS3_UsageUpdate(self::serverParams());
        $mine = $this->emailsFor($p['serviceid']);
        $this->assertCount(1, $mine);
        $vars = $mine[0]['customvars'];
        $this->assertSame($p['username'], $vars['username']);
        $this->assertSame(gmdate('Y-m'), $vars['traffic_month']);
        foreach (['egress_used_gb', 'egress_allowance_gb', 'ingress_used_gb', 'requests'] as $key) {
            $this->assertArrayHasKey($key, $vars);
        }
        $this->assertEqualsWithDelta(146.5, (float) $vars['egress_used_percentage'], 1);
        $this->assertSame(3, (int) self::hosting($p['serviceid'])['bwusage']);

        // Confirmed with its month: not again this month.
        $notified = array_values(array_filter(WhmcsEmulation::$moduleLog, function ($e) {
            return $e['action'] === 'usage.notified';
        }));
        $this->assertStringContainsString('[period] => ' . gmdate('Y-m'), $notified[count($notified) - 1]['request']);
        $this->move($p, 1048576, 1);
        self::waitForTraffic();
        puqMinIOS3_UsageUpdate(self::serverParams());
        $this->assertCount(1, $this->emailsFor($p['serviceid']), 'the egress email went out twice in a month');
        $this->assertSame('success', puqMinIOS3_TerminateAccount($p));
    }

    private function emailsFor($serviceId)
    {
        return array_values(array_filter(WhmcsEmulation::$emails, function ($e) use ($serviceId) {
            return (int) $e['id'] === (int) $serviceId;
        }));
    }
}
