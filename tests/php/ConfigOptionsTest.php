<?php

use WHMCS\Module\Server\PuqMinIOS3\ProductSettings;

/** The Module Settings tab. */
class ConfigOptionsTest extends PuqTestCase
{
    /**
     * The JSON names in configoption order. Existing products store their
     * values by position: this list may only grow at its end.
     */
    const ORDER = ['unit', 'diskSpace', 'warnTemplate', 'warnPercent', 'group', 'policy', 'limitTemplate',
        'limitPolicy', 'historyDays', 'instructionUrl', 'defaultBucket', 'bucketSuffix', 'passwordDisplay',
        'usernameRule', 'passwordRule', 'publicEndpoint', 'usageMode', 'checkIntervalMinutes',
        'allowForeignResources', 'permissions', 'traffic', 'egressAllowanceGB', 'egressTemplate'];

    public function testOrderIsAppendOnly()
    {
        $names = array_keys(ProductSettings::fields());
        $this->assertSame(self::ORDER, array_slice($names, 0, count(self::ORDER)));
        $this->assertLessThanOrEqual(24, count($names));
    }

    /**
     * The self-service limits are configoption24, after the traffic
     * settings (21-23), whichever branch was installed first.
     */
    public function testSelfServiceIsField24()
    {
        $names = array_keys(ProductSettings::fields());
        $this->assertSame('selfService', $names[23]);
        $options = puqMinIOS3_ConfigOptions();
        $this->assertSame('buckets=10 keys=10', $options['Self-service limits']['Default'], 'the default is the binary\'s');
        $this->assertSame(['traffic', 'egressAllowanceGB', 'egressTemplate'], array_slice($names, 20, 3));
        $product = ProductSettings::fromConfigOptions(['configoption21' => 'on', 'configoption24' => 'buckets=2 keys=3']);
        $this->assertSame(['traffic' => true, 'selfService' => 'buckets=2 keys=3'], $product);
    }

    public function testEveryFieldIsWellFormed()
    {
        $options = puqMinIOS3_ConfigOptions();
        $this->assertCount(count(ProductSettings::fields()), $options, 'friendly names are unique');
        foreach ($options as $label => $field) {
            $this->assertSame($label, $field['FriendlyName']);
            $this->assertContains($field['Type'], ['text', 'password', 'yesno', 'dropdown', 'radio', 'textarea']);
            if ($field['Type'] === 'dropdown') {
                $this->assertArrayHasKey($field['Default'], $field['Options']);
            }
            if (isset($field['Loader'])) {
                $this->assertTrue(function_exists($field['Loader']), $field['Loader']);
            }
        }
        $this->assertSame(['MB', 'GB', 'TB', 'PB'], array_keys($options['Unit']['Options']));
        $this->assertSame('90', $options['Notification, used disk space X %']['Default']);
        $this->assertSame('textarea', $options['Raw Policy']['Type']);
        $this->assertSame('textarea', $options['Raw policy Disk limit']['Type']);
        // Traffic (fields 21 to 23): off, no allowance, the egress email.
        $this->assertSame('yesno', $options['Measure traffic']['Type']);
        $this->assertSame('0', $options['Monthly egress allowance (GB, 0 = none)']['Default']);
        $this->assertSame('puqMinIOS3 Notification egress allowance', $options['Egress allowance email template']['Default']);
        $this->assertSame('puqMinIOS3_ProductEmailTemplates', $options['Egress allowance email template']['Loader']);
    }

    /** The traffic settings reach the binary as the product's JSON fields. */
    public function testTrafficSettingsMapToTheProduct()
    {
        $product = ProductSettings::fromConfigOptions(['configoption21' => 'on', 'configoption22' => ' 250.5 ',
            'configoption23' => 'puqMinIOS3 Notification egress allowance']);
        $this->assertSame(['traffic' => true, 'egressAllowanceGB' => 250.5,
            'egressTemplate' => 'puqMinIOS3 Notification egress allowance'], $product);
        $this->assertSame(['traffic' => false, 'egressAllowanceGB' => 'lots'],
            ProductSettings::fromConfigOptions(['configoption21' => '', 'configoption22' => 'lots']));
    }

    public function testDefaultPoliciesAreJsonScopedToTheTenant()
    {
        $options = puqMinIOS3_ConfigOptions();
        $standard = $options['Raw Policy']['Default'];
        $limit = $options['Raw policy Disk limit']['Default'];
        foreach ([$standard, $limit] as $policy) {
            $doc = json_decode($policy, true);
            $this->assertSame('2012-10-17', $doc['Version']);
            foreach ($doc['Statement'] as $st) {
                $this->assertSame(['arn:aws:s3:::<USER_ID>', 'arn:aws:s3:::<USER_ID>/*', 'arn:aws:s3:::<USER_ID>-*'], $st['Resource']);
            }
        }
        $this->assertStringNotContainsString('s3:PutObject', $limit);
    }

    /**
     * The defaults shown are the ones the binary applies to an empty
     * setting: one source, asked, not copied.
     */
    public function testDefaultsComeFromTheBinary()
    {
        $options = puqMinIOS3_ConfigOptions();
        $product = ProductSettings::defaults()['product'];
        $this->assertSame($product['policy'], $options['Raw Policy']['Default']);
        $this->assertSame($product['passwordRule'], $options['Password rule']['Default']);
        $this->assertSame((string) $product['warnPercent'], $options['Notification, used disk space X %']['Default']);
        $this->assertSame($product['unit'], $options['Unit']['Default']);
        $this->assertSame('10', $options['Disk space size']['Default'], 'a prefill of the module keeps its own value');
        $source = file_get_contents(self::ROOT . '/whmcs/modules/servers/puqMinIOS3/lib/ProductSettings.php');
        foreach (['2012-10-17', '123456789QAZ', "'90'", "'GB' => 'GB'", "'365'"] as $copy) {
            $this->assertStringNotContainsString($copy, $source, 'a default of the binary is copied into PHP');
        }
    }

    public function testEmailTemplateLoaderListsProductTemplates()
    {
        $pdo = WhmcsEmulation::pdo();
        $pdo->exec("INSERT INTO tblemailtemplates (type, name, language) VALUES
            ('product', 'puqMinIOS3 Notification disk limit', ''),
            ('product', 'puqMinIOS3 Notification disk limit', 'german'),
            ('product', 'Hosting Account Welcome Email', ''),
            ('general', 'Password Reset Validation', '')");
        $list = puqMinIOS3_ProductEmailTemplates();
        $this->assertSame(['' => '(none)', 'Hosting Account Welcome Email' => 'Hosting Account Welcome Email',
            'puqMinIOS3 Notification disk limit' => 'puqMinIOS3 Notification disk limit'], $list);
    }
}
