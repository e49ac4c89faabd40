<?php
/**
 * The product's module settings: one ordered table that drives both the
 * Module Settings tab (ConfigOptions) and the "product" object of the bridge
 * request. WHMCS stores the values as configoption1..N in the order declared
 * here, so fields are only ever appended, never reordered or removed.
 */

namespace WHMCS\Module\Server\PuqMinIOS3;

class ProductSettings
{
    /** Kinds of value, for the mapping to JSON. */
    const TEXT = 'text';
    const NUMBER = 'number';
    const BOOL = 'bool';

    /** The standard policy: everything S3 allows, on the tenant's own buckets only. */
    const DEFAULT_POLICY = <<<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:*"],
      "Resource": [
        "arn:aws:s3:::<USER_ID>",
        "arn:aws:s3:::<USER_ID>/*",
        "arn:aws:s3:::<USER_ID>-*"
      ]
    }
  ]
}
JSON;

    /** The disk-limit policy: list, read and delete to free space, but no writes. */
    const DEFAULT_LIMIT_POLICY = <<<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion"
      ],
      "Resource": [
        "arn:aws:s3:::<USER_ID>",
        "arn:aws:s3:::<USER_ID>/*",
        "arn:aws:s3:::<USER_ID>-*"
      ]
    }
  ]
}
JSON;

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
                'Options' => ['MB' => 'MB', 'GB' => 'GB', 'TB' => 'TB', 'PB' => 'PB'],
                'Default' => 'GB',
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
                'Default' => '90',
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
                'Default' => self::DEFAULT_POLICY,
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
                'Default' => self::DEFAULT_LIMIT_POLICY,
                'Description' => 'Applied while the disk limit is reached; <USER_ID> is replaced by the user name',
            ]],
            'historyDays' => [self::NUMBER, [
                'FriendlyName' => 'Save usage history (days)',
                'Type' => 'text',
                'Size' => '5',
                'Default' => '365',
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
                'Default' => 'data',
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
                'Default' => 'button',
                'Description' => 'How the client area shows the S3 secret key',
            ]],
            'usernameRule' => [self::TEXT, [
                'FriendlyName' => 'Username rule',
                'Type' => 'text',
                'Size' => '40',
                'Default' => '{client_id}-{service_id}',
                'Description' => '{client_id} {service_id} {unixtime} {date} {time} {random_digit_x} {random_letter_x}',
            ]],
            'passwordRule' => [self::TEXT, [
                'FriendlyName' => 'Password rule',
                'Type' => 'text',
                'Size' => '60',
                'Default' => '12:123456789QAZWSXEDCRFVTGBYHNUJMIKqazwsxedcrfvtgbyhnujmikolp',
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
                'Default' => 'scanner',
                'Description' => 'How disk usage is measured',
            ]],
            'checkIntervalMinutes' => [self::NUMBER, [
                'FriendlyName' => 'Usage re-check interval (minutes)',
                'Type' => 'text',
                'Size' => '5',
                'Default' => '60',
                'Description' => '5-1440; used by the optional after-cron re-check in hooks.php',
            ]],
            'allowForeignResources' => [self::BOOL, [
                'FriendlyName' => 'Allow policies outside the tenant',
                'Type' => 'yesno',
                'Description' => 'Accept raw policies naming buckets outside the tenant\'s own (not recommended)',
            ]],
        ];
    }

    /**
     * The ConfigOptions array WHMCS renders, in configoption order.
     *
     * @return array<string, array>
     */
    public static function configOptions()
    {
        $out = [];
        foreach (self::fields() as $field) {
            $out[$field[1]['FriendlyName']] = $field[1];
        }
        return $out;
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
