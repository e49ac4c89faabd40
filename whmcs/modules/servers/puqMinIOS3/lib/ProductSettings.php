<?php
/**
 * The product's module settings: one ordered table that drives both the
 * Module Settings tab (ConfigOptions) and the "product" object of the bridge
 * request. WHMCS stores the values as configoption1..N in the order declared
 * here, so fields are only ever appended, never reordered or removed.
 *
 * The values the binary applies when a setting is left empty (units, the
 * default policies, the username and password rules, the 90 % warning, ...)
 * are the binary's: ConfigOptions asks it (action product.defaults) and
 * shows them as the fields' defaults. This file holds only WHMCS's side:
 * labels, field types and order.
 */

namespace WHMCS\Module\Server\PuqMinIOS3;

class ProductSettings
{
    /** Kinds of value, for the mapping to JSON. */
    const TEXT = 'text';
    const NUMBER = 'number';
    const BOOL = 'bool';
    /** A position kept for a field of another change, not sent to the binary. */
    /**
     * The fields, in configoption order: JSON name => [kind, WHMCS field].
     * APPEND ONLY: configoptionN of existing products points at position N.
     *
     * @return array<string, array{0: string, 1: array}>
     */
    public static function fields()
    {
        return [
            'unit' => [self::TEXT, [
                'FriendlyName' => 'Unit',
                'Type' => 'dropdown',
                'Description' => 'Unit of the disk space below',
                'SimpleMode' => true,
            ]],
            'diskSpace' => [self::NUMBER, [
                'FriendlyName' => 'Disk space size',
                'Type' => 'text',
                'Size' => '10',
                'Default' => '10',
                'Description' => 'In the unit above; 0 = unlimited',
                'SimpleMode' => true,
            ]],
            'warnTemplate' => [self::TEXT, [
                'FriendlyName' => 'Notification disk limit email template',
                'Type' => 'text',
                'Size' => '40',
                'Loader' => 'puqMinIOS3_ProductEmailTemplates',
                'Default' => 'puqMinIOS3 Notification disk limit',
                'Description' => 'Sent when the used space passes the percentage below',
                'SimpleMode' => true,
            ]],
            'warnPercent' => [self::NUMBER, [
                'FriendlyName' => 'Notification, used disk space X %',
                'Type' => 'text',
                'Size' => '5',
                'Description' => '1-100',
                'SimpleMode' => true,
            ]],
            'group' => [self::TEXT, [
                'FriendlyName' => 'Group',
                'Type' => 'text',
                'Size' => '30',
                'Default' => '',
                'Description' => 'MinIO group the user joins (optional)',
            ]],
            'policy' => [self::TEXT, [
                'FriendlyName' => 'Raw Policy',
                'Type' => 'textarea',
                'Rows' => '12',
                'Cols' => '60',
                'Description' => '<USER_ID> is replaced by the user name; resources must stay inside the tenant\'s buckets',
            ]],
            'limitTemplate' => [self::TEXT, [
                'FriendlyName' => 'Suspend exceeding disk limit email template',
                'Type' => 'text',
                'Size' => '40',
                'Loader' => 'puqMinIOS3_ProductEmailTemplates',
                'Default' => 'puqMinIOS3 service Suspension Notification disk limit',
                'Description' => 'Sent when the disk limit is reached and the limited policy applies',
                'SimpleMode' => true,
            ]],
            'limitPolicy' => [self::TEXT, [
                'FriendlyName' => 'Raw policy Disk limit',
                'Type' => 'textarea',
                'Rows' => '12',
                'Cols' => '60',
                'Description' => 'Applied while the disk limit is reached; <USER_ID> is replaced by the user name',
            ]],
            'historyDays' => [self::NUMBER, [
                'FriendlyName' => 'Save usage history (days)',
                'Type' => 'text',
                'Size' => '5',
                'Description' => 'Days of disk usage statistics to keep',
            ]],
            'instructionUrl' => [self::TEXT, [
                'FriendlyName' => 'Link to instruction',
                'Type' => 'text',
                'Size' => '60',
                'Default' => '',
                'Description' => 'http(s) link shown in the client area (optional)',
            ]],
            'defaultBucket' => [self::BOOL, [
                'FriendlyName' => 'Default Bucket',
                'Type' => 'yesno',
                'Description' => 'Create the bucket <username>-<suffix> on create',
            ]],
            'bucketSuffix' => [self::TEXT, [
                'FriendlyName' => 'Default bucket suffix',
                'Type' => 'text',
                'Size' => '20',
                'Description' => 'Lowercase letters, digits and inner hyphens',
            ]],
            'passwordDisplay' => [self::TEXT, [
                'FriendlyName' => 'Client Area password',
                'Type' => 'dropdown',
                'Options' => [
                    'button' => 'Hidden behind a Show button',
                    'show' => 'Shown in plain text',
                    'hide' => 'Never shown',
                ],
                'Description' => 'How the client area shows the S3 secret key',
            ]],
            'usernameRule' => [self::TEXT, [
                'FriendlyName' => 'Username rule',
                'Type' => 'text',
                'Size' => '40',
                'Description' => '{client_id} {service_id} {unixtime} {date} {time} {random_digit_x} {random_letter_x}',
            ]],
            'passwordRule' => [self::TEXT, [
                'FriendlyName' => 'Password rule',
                'Type' => 'text',
                'Size' => '60',
                'Description' => 'length:charset',
            ]],
            'publicEndpoint' => [self::TEXT, [
                'FriendlyName' => 'Public S3 endpoint',
                'Type' => 'text',
                'Size' => '40',
                'Default' => '',
                'Description' => 'Address shown to clients (e.g. https://s3.example.net) when it differs from the server\'s admin address',
            ]],
            'usageMode' => [self::TEXT, [
                'FriendlyName' => 'Usage measurement',
                'Type' => 'dropdown',
                'Options' => [
                    'scanner' => 'MinIO scanner (one call per server)',
                    'exact' => 'Exact listing (slower on many objects)',
                ],
                'Description' => 'How disk usage is measured',
            ]],
            'checkIntervalMinutes' => [self::NUMBER, [
                'FriendlyName' => 'Usage re-check interval (minutes)',
                'Type' => 'text',
                'Size' => '5',
                'Description' => '5-1440; used by the optional after-cron re-check in hooks.php',
            ]],
            'allowForeignResources' => [self::BOOL, [
                'FriendlyName' => 'Allow policies outside the tenant',
                'Type' => 'yesno',
                'Description' => 'Accept raw policies naming buckets outside the tenant\'s own (not recommended)',
            ]],
            'permissions' => [self::TEXT, [
                'FriendlyName' => 'Tenant permissions',
                'Type' => 'text',
                'Size' => '40',
                'Default' => '',
                'Description' => 'Words, none by default: public (public read of buckets), objectlock (object lock and '
                    . 'retention: kept data outlives terminate until its term), toolkeys (access keys made with S3 tools), '
                    . 'keepkeys (access keys survive a password change)',
            ]],
            'traffic' => [self::BOOL, [
                'FriendlyName' => 'Measure traffic',
                'Type' => 'yesno',
                'Description' => 'Show the traffic puqminio traffic serve meters in the client area, report it for usage '
                    . 'billing and warn about the allowance below (needs the receiver, see docs/install.md)',
            ]],
            'egressAllowanceGB' => [self::NUMBER, [
                'FriendlyName' => 'Monthly egress allowance (GB, 0 = none)',
                'Type' => 'text',
                'Size' => '10',
                'Description' => 'Downloads per calendar month (UTC) before the email below is sent',
            ]],
            'egressTemplate' => [self::TEXT, [
                'FriendlyName' => 'Egress allowance email template',
                'Type' => 'text',
                'Size' => '40',
                'Loader' => 'puqMinIOS3_ProductEmailTemplates',
                'Default' => 'puqMinIOS3 Notification egress allowance',
                'Description' => 'Sent once a month when downloads reach the allowance',
                'SimpleMode' => true,
            ]],
            'selfService' => [self::TEXT, [
                'FriendlyName' => 'Self-service limits',
                'Type' => 'text',
                'Size' => '30',
                'Description' => 'buckets=N keys=N: how many buckets and access keys a client may have when making them '
                    . 'in the client area (0: none). Public read, object lock and keys made with S3 tools: Tenant permissions',
            ]],
        ];
    }

    /**
     * The ConfigOptions array WHMCS renders, in configoption order, with the
     * binary's defaults filled in where a field has none of its own and the
     * units it knows as the unit's options. When the binary cannot be run, the fields come without
     * defaults and the first one says why.
     *
     * @return array<string, array>
     */
    public static function configOptions()
    {
        try {
            $defaults = self::defaults();
        } catch (\Throwable $e) {
            $defaults = null;
            $error = $e->getMessage();
        }
        $out = [];
        foreach (self::fields() as $name => $field) {
            $f = $field[1];
            // A field with a Default of its own here (a prefill such as
            // 10 GB, the email template names) keeps it.
            if ($defaults !== null && !array_key_exists('Default', $f) && $field[0] !== self::BOOL
                && array_key_exists($name, $defaults['product'])) {
                $f['Default'] = (string) $defaults['product'][$name];
            }
            if ($name === 'unit') {
                $units = $defaults !== null ? $defaults['units'] : [];
                $f['Options'] = array_combine($units, $units) ?: [];
            }
            $out[$f['FriendlyName']] = $f;
        }
        if ($defaults === null) {
            $first = array_key_first($out);
            $out[$first]['Description'] = 'The puqminio binary could not be asked for the defaults: '
                . $error . ' ' . $out[$first]['Description'];
        }
        return $out;
    }

    /** @var array|null the binary's answer to product.defaults, once per request */
    private static $defaults;

    /**
     * The binary's product defaults: {product: {...}, units: [...]}.
     *
     * @return array
     * @throws BridgeException
     */
    public static function defaults()
    {
        if (self::$defaults === null) {
            $answer = Rpc::call(['v' => Request::VERSION, 'action' => 'product.defaults'], []);
            if (!is_array($answer['product'] ?? null) || !is_array($answer['units'] ?? null)) {
                throw new BridgeException('The puqminio binary answered product.defaults without the defaults.');
            }
            self::$defaults = $answer;
        }
        return self::$defaults;
    }

    /**
     * The key under which a service row's product is sent once per request
     * (params.products of usage.update and usage.metrics), adding the
     * product to $products the first time it is seen.
     *
     * @param array $row a tblhosting row joined with its tblproducts row
     * @param array $products key => ['key' => ..., 'product' => ...], grown here
     * @return string
     */
    public static function keyFor(array $row, array &$products)
    {
        $key = (string) (int) $row['packageid'];
        if (!isset($products[$key])) {
            $products[$key] = ['key' => $key, 'product' => (object) self::fromConfigOptions($row)];
        }
        return $key;
    }

    /**
     * Maps configoption1..N of $params to the bridge's product object.
     * Numeric strings become numbers and yes/no fields booleans; a value that
     * should be a number but is not is passed as it is, so the binary answers
     * invalid_field naming the field instead of the shim guessing a value.
     *
     * @param array $params WHMCS module parameters (or a tblproducts row)
     * @return array<string, mixed>
     */
    public static function fromConfigOptions(array $params)
    {
        $product = [];
        $n = 0;
        foreach (self::fields() as $name => $field) {
            $n++;
            $key = 'configoption' . $n;
            if (!array_key_exists($key, $params) || $params[$key] === null) {
                continue;
            }
            $value = $params[$key];
            switch ($field[0]) {
                case self::BOOL:
                    $product[$name] = ($value === 'on' || $value === true || $value === '1' || $value === 1 || $value === 'yes');
                    break;
                case self::NUMBER:
                    $value = is_string($value) ? trim($value) : $value;
                    if ($value === '') {
                        break;
                    }
                    if (is_numeric($value)) {
                        $product[$name] = $value + 0;
                    } else {
                        $product[$name] = $value;
                    }
                    break;
                default:
                    $product[$name] = (string) $value;
            }
        }
        return $product;
    }
}
