<?php
/**
 * The one WHMCS emulation of the PHP tests (PHPUnit's bootstrap.php and the
 * browser test's page server load it). WHMCS is proprietary and cannot
 * run here, so this file stands in for exactly the documented surface the
 * module uses (shared/reference/whmcs-module-api.md) and nothing more:
 *
 *  - logModuleCall, logActivity, localAPI('SendEmail'), encrypt/decrypt,
 *    add_hook: they record what they are given in WhmcsEmulation;
 *  - generate_token: the session's CSRF token;
 *  - WHMCS\Database\Capsule::connection()->getPdo(): an SQLite database with
 *    the columns of tblhosting, tblproducts, tblemailtemplates and
 *    tblservers that the module reads and writes;
 *  - WHMCS\Config\Setting::getValue('Language');
 *  - the usage-billing types (WHMCS 7.9+) MetricProvider implements.
 *
 * Everything else, the binary, MinIO and s3cmd, is real.
 */

namespace {
    define('WHMCS', true);

    /** What the emulated WHMCS was asked to do, for assertions. */
    final class WhmcsEmulation
    {
        /** @var array[] logModuleCall arguments, masked as WHMCS masks them, with the replacevars */
        public static $moduleLog = [];
        /** @var string[] logActivity messages */
        public static $activity = [];
        /** @var array[] SendEmail calls: messagename, id, customvars (decoded) */
        public static $emails = [];
        /** @var string[] templates whose SendEmail fails */
        public static $failingTemplates = [];
        /** @var array<string, callable[]> add_hook registrations */
        public static $hooks = [];
        /** @var \PDO|null */
        public static $pdo;

        public static function reset()
        {
            self::$moduleLog = [];
            self::$activity = [];
            self::$emails = [];
            self::$failingTemplates = [];
            self::$pdo = null;
        }

        /** The WHMCS database: created on first use, fresh after reset(). */
        public static function pdo()
        {
            if (self::$pdo === null) {
                $pdo = new \PDO('sqlite::memory:');
                $pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
                $options = '';
                for ($i = 1; $i <= 24; $i++) {
                    $options .= ", configoption$i TEXT NOT NULL DEFAULT ''";
                }
                $pdo->exec("CREATE TABLE tblproducts (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '',
                    servertype TEXT NOT NULL DEFAULT '' $options)");
                $pdo->exec("CREATE TABLE tblhosting (id INTEGER PRIMARY KEY, userid INTEGER NOT NULL DEFAULT 0,
                    packageid INTEGER NOT NULL DEFAULT 0, server INTEGER NOT NULL DEFAULT 0,
                    domain TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '',
                    password TEXT NOT NULL DEFAULT '', domainstatus TEXT NOT NULL DEFAULT 'Pending',
                    diskusage INTEGER NOT NULL DEFAULT 0, disklimit INTEGER NOT NULL DEFAULT 0,
                    bwusage INTEGER NOT NULL DEFAULT 0, bwlimit INTEGER NOT NULL DEFAULT 0,
                    lastupdate TEXT NOT NULL DEFAULT '0000-00-00 00:00:00')");
                $pdo->exec("CREATE TABLE tblemailtemplates (id INTEGER PRIMARY KEY, type TEXT NOT NULL,
                    name TEXT NOT NULL, language TEXT NOT NULL DEFAULT '')");
                $pdo->exec("CREATE TABLE tblservers (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '',
                    type TEXT NOT NULL DEFAULT '', hostname TEXT NOT NULL DEFAULT '',
                    ipaddress TEXT NOT NULL DEFAULT '', port TEXT NOT NULL DEFAULT '',
                    secure TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '',
                    password TEXT NOT NULL DEFAULT '', accesshash TEXT NOT NULL DEFAULT '',
                    disabled INTEGER NOT NULL DEFAULT 0)");
                self::$pdo = $pdo;
            }
            return self::$pdo;
        }
    }

    function logModuleCall($module, $action, $request, $response, $processed = '', $replaceVars = [])
    {
        $mask = function ($value) use ($replaceVars) {
            $text = is_string($value) ? $value : print_r($value, true);
            foreach ((array) $replaceVars as $secret) {
                if ((string) $secret !== '') {
                    $text = str_replace((string) $secret, str_repeat('*', strlen((string) $secret)), $text);
                }
            }
            return $text;
        };
        WhmcsEmulation::$moduleLog[] = [
            'module' => $module,
            'action' => $action,
            'request' => $mask($request),
            'response' => $mask($response),
            'processed' => $mask($processed),
            'raw' => print_r([$request, $response, $processed], true),
            'replaceVars' => array_values(array_map('strval', (array) $replaceVars)),
        ];
    }

    function logActivity($message, $userId = 0)
    {
        WhmcsEmulation::$activity[] = $message;
    }

    function localAPI($command, $values = [], $adminUser = '')
    {
        if ($command !== 'SendEmail') {
            return ['result' => 'error', 'message' => 'not emulated: ' . $command];
        }
        if (in_array($values['messagename'] ?? '', WhmcsEmulation::$failingTemplates, true)) {
            return ['result' => 'error', 'message' => 'Email Template not found'];
        }
        WhmcsEmulation::$emails[] = [
            'messagename' => $values['messagename'] ?? '',
            'id' => $values['id'] ?? 0,
            'customvars' => isset($values['customvars'])
                ? unserialize(base64_decode($values['customvars']), ['allowed_classes' => false]) : [],
        ];
        return ['result' => 'success'];
    }

    function encrypt($value)
    {
        return 'enc:' . base64_encode((string) $value);
    }

    function decrypt($value)
    {
        $value = (string) $value;
        return strncmp($value, 'enc:', 4) === 0 ? (string) base64_decode(substr($value, 4)) : '';
    }

    /**
     * WHMCS's CSRF token of the session: generate_token('plain') is the bare
     * token its client-area forms post as "token".
     */
    function generate_token($type = 'form')
    {
        if (!isset($_SESSION['tkval'])) {
            $_SESSION['tkval'] = bin2hex(random_bytes(20));
        }
        return $type === 'plain' ? $_SESSION['tkval']
            : '<input type="hidden" name="token" value="' . $_SESSION['tkval'] . '" />';
    }

    function add_hook($hookPoint, $priority, $function)
    {
        WhmcsEmulation::$hooks[$hookPoint][] = $function;
    }
}

namespace WHMCS\Database {
    /** WHMCS's Laravel capsule; only connection()->getPdo() is used. */
    class Capsule
    {
        public static function connection()
        {
            return new class {
                public function getPdo()
                {
                    return \WhmcsEmulation::pdo();
                }
            };
        }
    }
}

namespace WHMCS\Config {
    class Setting
    {
        public static function getValue($name)
        {
            return $name === 'Language' ? 'english' : '';
        }
    }
}

namespace WHMCS\UsageBilling\Contracts\Metrics {
    interface MetricInterface
    {
        const TYPE_SNAPSHOT = 'snapshot';
        const TYPE_PERIOD_DAY = 'day';
        const TYPE_PERIOD_MONTH = 'month';
    }

    interface ProviderInterface
    {
        public function metrics();
        public function usage();
        public function tenantUsage($tenant);
    }
}

namespace WHMCS\UsageBilling\Metrics\Units {
    class GigaBytes
    {
    }
}

namespace WHMCS\UsageBilling\Metrics {
    class Usage
    {
        private $value;

        public function __construct($value)
        {
            $this->value = $value;
        }

        public function value()
        {
            return $this->value;
        }
    }

    class Metric implements \WHMCS\UsageBilling\Contracts\Metrics\MetricInterface
    {
        private $systemName;
        private $displayName;
        private $type;
        private $units;
        private $usage;

        public function __construct($systemName, $displayName, $type, $units)
        {
            $this->systemName = $systemName;
            $this->displayName = $displayName;
            $this->type = $type;
            $this->units = $units;
        }

        public function systemName()
        {
            return $this->systemName;
        }

        public function displayName()
        {
            return $this->displayName;
        }

        public function type()
        {
            return $this->type;
        }

        public function units()
        {
            return $this->units;
        }

        public function usage()
        {
            return $this->usage;
        }

        public function withUsage($usage)
        {
            $copy = clone $this;
            $copy->usage = $usage;
            return $copy;
        }
    }
}
