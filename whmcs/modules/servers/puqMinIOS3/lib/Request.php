<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * Builds bridge envelopes (docs/bridge.md) from WHMCS's $params. It only
 * renames and retypes: every check and decision is the binary's.
 */
class Request
{
    /** Envelope version. */
    const VERSION = 1;

    /** Default seconds for one action; the binary bounds itself by it. */
    const TIMEOUT = 30;

    /**
     * A full envelope for an action about one service.
     *
     * @param string $action
     * @param array $params WHMCS module parameters
     * @param array $extra the "params" object of the request
     * @param int $timeout seconds the action may take
     * @return array
     */
    public static function forService($action, array $params, array $extra = [], $timeout = self::TIMEOUT)
    {
        $request = self::base($action, $params, $timeout);
        $request['service'] = self::service($params);
        // An object even when empty: JSON [] is refused as a product.
        $request['product'] = (object) ProductSettings::fromConfigOptions($params);
        if ($extra) {
            $request['params'] = $extra;
        }
        return $request;
    }

    /**
     * An envelope with the server and the usage store only.
     *
     * @return array
     */
    public static function base($action, array $params, $timeout = self::TIMEOUT)
    {
        return [
            'v' => self::VERSION,
            'action' => $action,
            'server' => self::server($params, $timeout),
            'store' => ['path' => self::storePath()],
        ];
    }

    /**
     * The server object. An empty host gives an empty endpoint, so the binary
     * answers "missing field" instead of dialling ":9000".
     *
     * @return array
     */
    public static function server(array $params, $timeout = self::TIMEOUT)
    {
        $host = trim((string) ($params['serverhostname'] ?? ''));
        if ($host === '') {
            $host = trim((string) ($params['serverip'] ?? ''));
        }
        $secure = !empty($params['serversecure']);
        $port = trim((string) ($params['serverport'] ?? ''));
        if ($port === '' || $port === '0') {
            $port = $secure ? '443' : '9000';
        }
        if ($host !== '' && strpos($host, ':') !== false && $host[0] !== '[' && substr_count($host, ':') > 1) {
            $host = '[' . $host . ']';
        }
        return [
            'id' => (int) ($params['serverid'] ?? 0),
            'endpoint' => $host === '' ? '' : $host . ':' . $port,
            'secure' => $secure,
            'accessKey' => (string) ($params['serverusername'] ?? ''),
            'secretKey' => (string) ($params['serverpassword'] ?? ''),
            'caPem' => trim((string) ($params['serveraccesshash'] ?? '')),
            'timeoutSeconds' => (int) $timeout,
        ];
    }

    /**
     * The service object.
     *
     * @return array
     */
    public static function service(array $params)
    {
        $status = $params['status'] ?? '';
        if ($status === '' && isset($params['model']) && is_object($params['model'])) {
            $status = (string) ($params['model']->domainstatus ?? '');
        }
        return [
            'id' => (int) ($params['serviceid'] ?? 0),
            'clientId' => (int) ($params['userid'] ?? 0),
            'username' => (string) ($params['username'] ?? ''),
            'password' => (string) ($params['password'] ?? ''),
            'status' => (string) $status,
            'lang' => self::language($params),
        ];
    }

    /**
     * The viewer's language: the session's, else the client's, else the
     * system default; reduced to [a-z]+ (the binary whitelists it again).
     *
     * @return string
     */
    public static function language(array $params)
    {
        $candidates = [
            $_SESSION['Language'] ?? '',
            $params['clientsdetails']['language'] ?? '',
        ];
        foreach ($candidates as $lang) {
            $lang = strtolower(trim((string) $lang));
            if ($lang !== '' && preg_match('/^[a-z]+$/', $lang)) {
                return $lang;
            }
        }
        return Whmcs::defaultLanguage();
    }

    /**
     * The params of render.client: the page, the links WHMCS gives the
     * client's service page (overview, statistics, access keys, a bucket's
     * settings, the Recalculate button and the self-service forms' custom
     * functions) and WHMCS's CSRF token, which makes every form a POST.
     *
     * @param array $params WHMCS module parameters
     * @param string $page overview, stats, keys or bucket
     * @param string $bucket the bucket of page bucket
     * @param array|null $newKey the key made in this request, shown once
     * @return array
     */
    public static function clientPage(array $params, $page, $bucket = '', $newKey = null)
    {
        $base = 'clientarea.php?action=productdetails&id=' . (int) ($params['serviceid'] ?? 0);
        $out = [
            'page' => $page,
            'overviewUrl' => $base,
            'statsUrl' => $base . '&puqs3page=stats',
            'keysUrl' => $base . '&puqs3page=keys',
            'bucketUrl' => $base . '&puqs3page=bucket&puqs3bucket=',
            'recalculateUrl' => $base . '&modop=custom&a=ClientRecalculateDiskSpace',
            'actionUrls' => SelfService::actionUrls($base, SelfService::CLIENT, 'a'),
            'csrf' => function_exists('generate_token') ? (string) generate_token('plain') : '',
        ];
        if ($page === 'bucket') {
            $out['bucket'] = (string) $bucket;
        }
        if ($newKey) {
            $out['newKey'] = $newKey;
        }
        return $out + self::overrides();
    }

    /**
     * The params of render.admin: the forms of the MinIO S3 panel (delete a
     * bucket, revoke a key: the admin's custom functions) with WHMCS's CSRF
     * token, and the admin's language overrides.
     *
     * @param array $params WHMCS module parameters
     * @return array
     */
    public static function adminPage(array $params = [])
    {
        $base = 'clientsservices.php?userid=' . (int) ($params['userid'] ?? 0) . '&id=' . (int) ($params['serviceid'] ?? 0);
        return [
            'actionUrls' => SelfService::actionUrls($base, SelfService::ADMIN, 'ac'),
            'csrf' => function_exists('generate_token') ? (string) generate_token('plain') : '',
        ] + self::overrides();
    }

    /**
     * The admin's language overrides, when the module folder has an
     * overrides/ folder (docs/install.md).
     *
     * @return array
     */
    public static function overrides()
    {
        $dir = dirname(__DIR__) . '/overrides';
        return is_dir($dir) ? ['overridesDir' => $dir] : [];
    }

    /**
     * The secret strings of $params, for masking in logs.
     *
     * @return string[]
     */
    public static function secrets(array $params)
    {
        $out = [];
        foreach (['serverpassword', 'password', 'serveraccesshash'] as $key) {
            if (isset($params[$key]) && is_string($params[$key]) && $params[$key] !== '') {
                $out[] = $params[$key];
            }
        }
        return $out;
    }

    /**
     * A copy of $data with every secret field replaced and every secret
     * string masked wherever it appears, in every form it can take in a
     * request, an answer or a page (see variants()).
     *
     * @param mixed $data
     * @param string[] $secrets
     * @return mixed
     */
    public static function mask($data, array $secrets)
    {
        if (is_array($data)) {
            $out = [];
            foreach ($data as $key => $value) {
                if (is_string($key) && in_array(strtolower($key), ['secretkey', 'password', 'capem', 'csrf'], true)
                    && is_string($value) && $value !== '') {
                    $out[$key] = '********';
                } else {
                    $out[$key] = self::mask($value, $secrets);
                }
            }
            return $out;
        }
        if (is_string($data)) {
            foreach (self::variants($secrets) as $form) {
                $data = str_replace($form, '********', $data);
            }
        }
        return $data;
    }

    /**
     * Every form a secret takes on its way through the module: as it is;
     * HTML-escaped as PHP and as Go's html/template escape it (a page shows
     * a password with & or < in these forms); JSON-escaped; URL-encoded;
     * base64. Longest first, so a form that holds another is masked whole.
     * Strings shorter than 4 characters are left alone.
     *
     * @param string[] $secrets
     * @return string[]
     */
    public static function variants(array $secrets)
    {
        $out = [];
        foreach ($secrets as $s) {
            if (!is_string($s) || strlen($s) < 4) {
                continue;
            }
            $forms = [
                $s,
                htmlspecialchars($s, ENT_QUOTES | ENT_HTML401, 'UTF-8'),
                htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8'),
                strtr($s, ['&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&#34;', "'" => '&#39;', '+' => '&#43;']),
                substr((string) json_encode($s), 1, -1),
                substr((string) json_encode($s, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), 1, -1),
                substr((string) json_encode($s, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT), 1, -1),
                rawurlencode($s),
                urlencode($s),
                base64_encode($s),
            ];
            foreach ($forms as $form) {
                if ($form !== '') {
                    $out[$form] = strlen($form);
                }
            }
        }
        arsort($out);
        return array_keys($out);
    }

    /**
     * Where the usage history database lives. In order: the constant
     * PUQMINIO_DB_PATH (define it in WHMCS's configuration.php), the
     * environment variable of the same name, a puqminio-data folder beside
     * (not inside) the WHMCS web root, or the module's data/ folder, which
     * ships with a deny-all .htaccess.
     *
     * @return string
     */
    public static function storePath()
    {
        if (defined('PUQMINIO_DB_PATH') && constant('PUQMINIO_DB_PATH') !== '') {
            return (string) constant('PUQMINIO_DB_PATH');
        }
        $env = getenv('PUQMINIO_DB_PATH');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        if (defined('ROOTDIR')) {
            $outside = dirname((string) constant('ROOTDIR')) . '/puqminio-data';
            if (is_dir($outside) ? is_writable($outside) : is_writable(dirname($outside))) {
                return $outside . '/usage.db';
            }
        }
        return dirname(__DIR__) . '/data/usage.db';
    }
}
