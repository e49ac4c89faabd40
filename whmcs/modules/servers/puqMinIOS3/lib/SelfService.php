<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * The self-service forms of the client area and the admin tab (issue 13):
 * each is a WHMCS custom function that reads its form (fields puqs3_*),
 * runs one bridge action (docs/bridge.md, "Self-service") and tells WHMCS
 * 'success' or why not. Only WHMCS glue: which form field is which param,
 * the CSRF token, the page to show next and the key just made; every
 * rule is the binary's.
 */
class SelfService
{
    /** The client area's custom functions (suffixes of puqMinIOS3_*), by bridge action. */
    const CLIENT = [
        'bucket.create' => 'ClientCreateBucket',
        'bucket.delete' => 'ClientDeleteBucket',
        'bucket.versioning' => 'ClientBucketVersioning',
        'bucket.lifecycle' => 'ClientBucketLifecycle',
        'bucket.public' => 'ClientBucketPublic',
        'key.create' => 'ClientCreateKey',
        'key.revoke' => 'ClientRevokeKey',
    ];

    /** The admin tab's custom functions, by bridge action. */
    const ADMIN = [
        'bucket.delete' => 'AdminDeleteBucket',
        'key.revoke' => 'AdminRevokeKey',
    ];

    /**
     * Where each action's params come from: param => [form field, kind].
     * Kinds: string; flag ("1" is true); int (a number as typed, "" is 0;
     * anything else goes as it is, for the binary to refuse); list (of
     * strings).
     */
    const FIELDS = [
        'bucket.create' => ['name' => ['puqs3_name', 'string'], 'objectLock' => ['puqs3_objectlock', 'flag']],
        'bucket.delete' => ['bucket' => ['puqs3_bucket', 'string'], 'confirm' => ['puqs3_confirm', 'string']],
        'bucket.versioning' => ['bucket' => ['puqs3_bucket', 'string'], 'enabled' => ['puqs3_enabled', 'flag']],
        'bucket.lifecycle' => ['bucket' => ['puqs3_bucket', 'string'], 'expireDays' => ['puqs3_expire_days', 'int'],
            'noncurrentDays' => ['puqs3_noncurrent_days', 'int'], 'confirm' => ['puqs3_confirm', 'flag']],
        'bucket.public' => ['bucket' => ['puqs3_bucket', 'string'], 'public' => ['puqs3_public', 'flag'],
            'prefix' => ['puqs3_prefix', 'string']],
        'key.create' => ['label' => ['puqs3_label', 'string'], 'buckets' => ['puqs3_buckets', 'list'],
            'readOnly' => ['puqs3_readonly', 'flag'], 'expires' => ['puqs3_expires', 'string']],
        'key.revoke' => ['accessKey' => ['puqs3_key', 'string']],
    ];

    /** The client area's pages (?puqs3page=). */
    const PAGES = ['overview', 'stats', 'keys', 'bucket'];

    /**
     * @var array|null the key key.create made in this request: ClientArea,
     * which WHMCS runs next in the same request, shows its secret once.
     * It is kept nowhere else.
     */
    public static $made;

    /** @var string the page the form asked to come back to, "" for none */
    public static $returnTo = '';

    /**
     * Runs a client's form: $action with the form's values, as the client.
     *
     * @return string 'success' or, in the client's language, why not
     */
    public static function client($action, array $params)
    {
        if (!self::tokenOk()) {
            return 'This form has expired. Reload the page and try again.';
        }
        self::$returnTo = in_array($_POST['puqs3_return'] ?? '', self::PAGES, true) ? $_POST['puqs3_return'] : '';
        try {
            $result = self::run($action, $params, 'client');
            if ($action === 'key.create') {
                self::$made = [
                    'accessKey' => (string) ($result['accessKey'] ?? ''),
                    'secretKey' => (string) ($result['secretKey'] ?? ''),
                    'expires' => (string) ($result['expires'] ?? ''),
                ];
                self::$returnTo = 'keys';
            }
            return 'success';
        } catch (BridgeException $e) {
            return $e->clientText();
        } catch (\Throwable $e) {
            Whmcs::log($action, '', $e->getMessage(), '', Request::secrets($params));
            return 'puqMinIOS3 ' . $action . ' failed: ' . $e->getMessage();
        }
    }

    /**
     * Runs an admin's form of the MinIO S3 panel: $action as the admin.
     *
     * @return string 'success' or the error
     */
    public static function admin($action, array $params)
    {
        if (!self::tokenOk()) {
            return 'Use the ' . ($action === 'key.revoke' ? 'Revoke' : 'Delete')
                . ' button of the bucket or key in the MinIO S3 panel of this service.';
        }
        try {
            self::run($action, $params, 'admin');
            return 'success';
        } catch (\Throwable $e) {
            return $e->getMessage();
        }
    }

    /**
     * The bridge request of a form and its answer.
     *
     * @return array the result
     * @throws BridgeException
     */
    private static function run($action, array $params, $initiator)
    {
        $extra = ['initiator' => $initiator] + self::formParams($action, $_POST);
        return Rpc::call(Request::forService($action, $params, $extra, $action === 'bucket.delete' ? 300 : Request::TIMEOUT),
            Request::secrets($params));
    }

    /**
     * The params of $action read from a form's fields.
     *
     * @return array
     */
    public static function formParams($action, array $form)
    {
        $out = [];
        foreach (self::FIELDS[$action] ?? [] as $param => list($field, $kind)) {
            $value = $form[$field] ?? null;
            switch ($kind) {
                case 'flag':
                    $out[$param] = $value === '1';
                    break;
                case 'int':
                    $value = is_string($value) ? trim($value) : '';
                    $out[$param] = $value === '' ? 0 : (preg_match('/^-?[0-9]{1,9}$/', $value) ? (int) $value : $value);
                    break;
                case 'list':
                    $out[$param] = is_array($value) ? array_values(array_map('strval', array_filter($value, 'is_string'))) : [];
                    break;
                default:
                    $out[$param] = is_string($value) ? $value : '';
            }
        }
        return $out;
    }

    /**
     * Whether the request is a POST carrying the session's CSRF token, as
     * every form of the module does: a link cannot change anything.
     *
     * @return bool
     */
    public static function tokenOk()
    {
        if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST' || !function_exists('generate_token')) {
            return false;
        }
        $token = $_POST['token'] ?? '';
        return is_string($token) && $token !== '' && hash_equals((string) generate_token('plain'), $token);
    }

    /**
     * The URLs of the forms, by action, for render.client or render.admin.
     *
     * @param string $base the service's page
     * @param array $functions self::CLIENT or self::ADMIN
     * @param string $param the query parameter naming the function ("a" in the client area, "ac" for admins)
     * @return array
     */
    public static function actionUrls($base, array $functions, $param)
    {
        $out = [];
        foreach ($functions as $action => $function) {
            $out[$action] = $base . '&modop=custom&' . $param . '=' . $function;
        }
        return $out;
    }
}
