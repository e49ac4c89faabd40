<?php

/**
 * No secret where it must not be, through the module functions as WHMCS
 * calls them: three services (password shown, behind a button, hidden) go
 * through every function, then everything WHMCS would keep or show is
 * scanned for the admin secret and the tenants' secrets:
 *
 *  - every logModuleCall record, as the module passes it (before WHMCS's own
 *    masking) and after masking; and the replacevars must name the secrets
 *    of the call, so WHMCS masks them too;
 *  - logActivity messages and the custom variables of every email;
 *  - every page: ClientArea (overview and statistics) may hold its own
 *    service's password only when the product shows it; the admin tab and
 *    the strings returned to WHMCS hold none;
 *  - every command line the module starts: $PUQMINIO_BIN is a wrapper that
 *    records its own argv (and the binary's stderr, the operator's log)
 *    before it runs the real binary.
 *
 * The new passwords hold + & ' < > " (a page escapes them, which once let
 * the masked log keep them), and every secret is looked for in every form
 * it can take: as it is, HTML-escaped (PHP's and Go's way), JSON-escaped,
 * URL-encoded and in base64.
 */
class SecretScanTest extends PuqTestCase
{
    /** @var string where the wrapper writes command lines */
    private $argvLog;

    /** @var string where the wrapper writes the binary's stderr */
    private $stderrLog;

    protected function setUp(): void
    {
        parent::setUp();
        $real = self::requireBinary();
        static::minio();
        $dir = self::tmp() . '/scan-' . bin2hex(random_bytes(4));
        mkdir($dir, 0700);
        $this->argvLog = $dir . '/argv.log';
        $this->stderrLog = $dir . '/stderr.log';
        touch($this->argvLog);
        touch($this->stderrLog);
        $wrapper = $dir . '/puqminio';
        file_put_contents($wrapper, "#!/bin/sh\n"
            . 'printf "%s\n" "$0 $*" >> ' . escapeshellarg($this->argvLog) . "\n"
            . 'err=$(mktemp)' . "\n"
            . escapeshellarg($real) . ' "$@" 2>"$err"' . "\n"
            . 'status=$?' . "\n"
            . 'cat "$err" >> ' . escapeshellarg($this->stderrLog) . "\n"
            . 'cat "$err" >&2; rm -f "$err"' . "\n"
            . 'exit $status' . "\n");
        chmod($wrapper, 0700);
        putenv('PUQMINIO_BIN=' . $wrapper);
    }

    public function testNoSecretInLogsPagesOrCommandLines()
    {
        $alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
        $admin = static::minio()['secretKey'];
        $secrets = [$admin => 'admin'];
        $services = [];
        foreach (['show', 'button', 'hide'] as $display) {
            $p = $this->createAccount(['defaultBucket' => true, 'passwordDisplay' => $display,
                'passwordRule' => '24:' . $alnum, 'diskSpace' => '1', 'unit' => 'GB']);
            $p['display'] = $display;
            $secrets[$p['password']] = 'tenant ' . $p['username'];
            $services[] = $p;
        }

        $pages = [];
        $returned = [];
        foreach ($services as $i => $p) {
            foreach (['SuspendAccount', 'UnsuspendAccount', 'ChangePackage', 'UpdatePolicy', 'SetLimitedPolicy',
                         'SetStandardPolicy', 'RecalculateDiskSpace'] as $fn) {
                $returned[] = $out = call_user_func('puqMinIOS3_' . $fn, $p);
                $this->assertSame('success', $out, $fn . ' for ' . $p['username']);
            }
            // A new password, then one MinIO refuses: neither may be echoed.
            $p['password'] = 'Pw+&\'<>"' . self::random(16, $alnum);
            $secrets[$p['password']] = 'tenant ' . $p['username'];
            $this->assertSame('success', puqMinIOS3_ChangePassword($p));
            // The product shows it: a page view in show and button mode.
            $_GET = [];
            puqMinIOS3_ClientArea($p);
            $bad = $p;
            $bad['password'] = 'Rejected' . self::random(130, $alnum);
            $secrets[$bad['password']] = 'rejected password of ' . $p['username'];
            $returned[] = $out = puqMinIOS3_ChangePassword($bad);
            $this->assertNotSame('success', $out, 'a 138-character password was accepted');
            $services[$i] = $p;

            $tab = puqMinIOS3_AdminServicesTabFields($p);
            $this->assertStringContainsString($p['username'], $tab['MinIO S3']);
            $pages[] = ['admin tab of ' . $p['username'], $tab['MinIO S3'], null];
            foreach (['overview', 'stats'] as $page) {
                $_GET = $page === 'stats' ? ['puqs3page' => 'stats'] : [];
                $html = puqMinIOS3_ClientArea($p);
                $this->assertStringContainsString($page === 'stats' ? '<svg' : $p['username'], $html);
                $own = $p['display'] === 'hide' ? null : $p['password'];
                if ($page === 'overview' && $own !== null) {
                    $this->assertStringContainsString(self::goHtml($own), $html, 'the ' . $p['display'] . ' overview lacks its password');
                }
                if ($own === null) {
                    $this->assertStringNotContainsString($p['password'], $html, 'a hidden password is on the page');
                }
                $pages[] = ['client ' . $page . ' of ' . $p['username'], $html, $own];
            }
            $_GET = [];
        }
        $server = self::serverParams();
        $this->assertTrue(puqMinIOS3_TestConnection($server)['success']);
        $list = puqMinIOS3_ListAccounts($server);
        $this->assertTrue($list['success']);
        $returned[] = print_r($list, true);
        puqMinIOS3_UsageUpdate($server);
        foreach (WhmcsEmulation::$hooks['AfterCronJob'] ?? [] as $hook) {
            $hook([]);
        }
        $provider = puqMinIOS3_MetricProvider($server);
        $returned[] = print_r($provider->usage(), true);
        $wrong = $server;
        $wrong['serverpassword'] = 'Wrong' . self::random(30, $alnum);
        $secrets[$wrong['serverpassword']] = 'wrong admin secret';
        $r = puqMinIOS3_TestConnection($wrong);
        $this->assertFalse($r['success']);
        $returned[] = $r['error'];

        $found = [];
        $scan = function ($where, $text, $allowed = null) use ($secrets, &$found) {
            if ($allowed !== null) {
                $text = str_replace(self::forms($allowed), '(own)', $text);
            }
            foreach ($secrets as $secret => $owner) {
                foreach (self::forms((string) $secret) as $kind => $form) {
                    if (strpos($text, $form) !== false) {
                        $found[] = "$owner ($kind) in $where";
                    }
                }
            }
        };

        // The Module Log: what the module passes, what WHMCS keeps, and the
        // replacevars that must name every secret the call carried.
        $this->assertNotEmpty(WhmcsEmulation::$moduleLog);
        foreach (WhmcsEmulation::$moduleLog as $n => $entry) {
            $where = 'module log #' . $n . ' (' . $entry['action'] . ')';
            $scan($where . ' as passed', $entry['raw']);
            $scan($where . ' as kept', $entry['request'] . $entry['response'] . $entry['processed']);
            $vars = $entry['replaceVars'];
            if ($entry['action'] === 'product.defaults') {
                continue; // asks the binary alone: no server, no secret
            }
            $serverSecrets = array_keys(array_filter($secrets, function ($owner) {
                return $owner === 'admin' || $owner === 'wrong admin secret';
            }));
            $this->assertNotEmpty(array_intersect($serverSecrets, $vars), $where . ': the server secret is not in replacevars');
            if (preg_match('/^(account\.(suspend|unsuspend|password|package|terminate)|policy\.apply|usage\.recalculate|render\.)/', $entry['action'])) {
                $tenantSecrets = array_keys(array_filter($secrets, function ($owner) {
                    return strncmp($owner, 'tenant ', 7) === 0 || strncmp($owner, 'rejected ', 9) === 0;
                }));
                $this->assertNotEmpty(array_intersect($tenantSecrets, $vars), $where . ': the service password is not in replacevars');
            }
        }
        $scan('activity log', implode("\n", WhmcsEmulation::$activity));
        $scan('emails', print_r(WhmcsEmulation::$emails, true));
        $scan('strings returned to WHMCS', implode("\n", $returned));
        foreach ($pages as list($where, $html, $own)) {
            $scan($where, $html, $own);
        }

        // Command lines and the operator's log.
        $argv = array_filter(explode("\n", (string) file_get_contents($this->argvLog)));
        $this->assertGreaterThan(30, count($argv), 'the wrapper saw too few runs');
        foreach ($argv as $line) {
            $this->assertMatchesRegularExpression('#/puqminio rpc$#', $line, 'the module ran something else');
        }
        $scan('command lines', implode("\n", $argv));
        $stderr = (string) file_get_contents($this->stderrLog);
        $this->assertNotSame('', $stderr, 'the binary logged nothing');
        $scan('binary stderr', $stderr);

        $this->assertSame([], $found, 'secrets found: ' . implode('; ', $found));
        $this->addToAssertionCount(1);
        fwrite(STDERR, sprintf("\nSecretScanTest: %d secrets; %d module log records, %d pages, %d command lines, %d stderr lines scanned; %d findings\n",
            count($secrets), count(WhmcsEmulation::$moduleLog), count($pages), count($argv),
            substr_count($stderr, "\n"), count($found)));
    }

    /**
     * Every form $secret can take, by name. Written out here rather than
     * asked of the module, so that a form the module forgets is found.
     *
     * @return array<string, string>
     */
    private static function forms($secret)
    {
        return array_filter([
            'raw' => $secret,
            'html (PHP)' => htmlspecialchars($secret, ENT_QUOTES, 'UTF-8'),
            'html5 (PHP)' => htmlspecialchars($secret, ENT_QUOTES | ENT_HTML5, 'UTF-8'),
            'html (Go)' => self::goHtml($secret),
            'json' => substr(json_encode($secret), 1, -1),
            'json (hex)' => substr(json_encode($secret, JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT), 1, -1),
            'url' => rawurlencode($secret),
            'form' => urlencode($secret),
            'base64' => base64_encode($secret),
        ], function ($f) {
            return strlen($f) >= 4;
        });
    }

    /** $s as Go's html/template writes it into a page. */
    private static function goHtml($s)
    {
        return strtr($s, ['&' => '&amp;', '<' => '&lt;', '>' => '&gt;', '"' => '&#34;', "'" => '&#39;', '+' => '&#43;']);
    }

    private static function random($n, $set)
    {
        $out = '';
        for ($i = 0; $i < $n; $i++) {
            $out .= $set[random_int(0, strlen($set) - 1)];
        }
        return $out;
    }
}
