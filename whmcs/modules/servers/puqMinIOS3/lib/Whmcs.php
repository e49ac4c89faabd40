<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

use WHMCS\Database\Capsule;

/**
 * Everything the module reads from or writes to WHMCS itself: its tables
 * (through the PDO handle WHMCS's Capsule exposes, with portable SQL),
 * encrypt/decrypt, localAPI emails and the module log.
 */
class Whmcs
{
    /** Name under which calls appear in WHMCS's Module Log. */
    const MODULE = 'puqMinIOS3';

    /** @return \PDO */
    private static function pdo()
    {
        $pdo = Capsule::connection()->getPdo();
        $pdo->setAttribute(\PDO::ATTR_ERRMODE, \PDO::ERRMODE_EXCEPTION);
        return $pdo;
    }

    /**
     * Product email templates, name => name, for the template dropdowns.
     *
     * @return array<string, string>
     */
    public static function productEmailTemplates()
    {
        $stmt = self::pdo()->prepare(
            "SELECT DISTINCT name FROM tblemailtemplates WHERE type = 'product' AND (language = '' OR language IS NULL) ORDER BY name"
        );
        $stmt->execute();
        $out = [];
        foreach ($stmt->fetchAll(\PDO::FETCH_COLUMN) as $name) {
            $out[$name] = $name;
        }
        return $out;
    }

    /**
     * Stores the account's user name and password on the service, so WHMCS
     * shows what MinIO has.
     */
    public static function saveCredentials($serviceId, $username, $password)
    {
        $stmt = self::pdo()->prepare('UPDATE tblhosting SET username = ?, password = ? WHERE id = ?');
        $stmt->execute([(string) $username, encrypt((string) $password), (int) $serviceId]);
    }

    /**
     * The Active and Suspended services of a server with their product's
     * module settings (configoption1..24).
     *
     * @return array[]
     */
    public static function servicesOnServer($serverId)
    {
        $cols = [];
        for ($i = 1; $i <= 24; $i++) {
            $cols[] = 'p.configoption' . $i;
        }
        $stmt = self::pdo()->prepare(
            'SELECT h.id, h.userid, h.username, h.domainstatus, h.packageid, ' . implode(', ', $cols)
            . ' FROM tblhosting h JOIN tblproducts p ON p.id = h.packageid'
            . " WHERE h.server = ? AND h.domainstatus IN ('Active', 'Suspended') AND p.servertype = ?"
            . ' ORDER BY h.id'
        );
        $stmt->execute([(int) $serverId, self::MODULE]);
        return $stmt->fetchAll(\PDO::FETCH_ASSOC);
    }

    /**
     * The enabled servers of this module, as module parameters.
     *
     * @return array[]
     */
    public static function servers()
    {
        $stmt = self::pdo()->prepare(
            'SELECT id, hostname, ipaddress, port, secure, username, password, accesshash'
            . ' FROM tblservers WHERE type = ? AND disabled = 0 ORDER BY id'
        );
        $stmt->execute([self::MODULE]);
        $out = [];
        foreach ($stmt->fetchAll(\PDO::FETCH_ASSOC) as $row) {
            $out[] = [
                'serverid' => (int) $row['id'],
                'serverhostname' => (string) $row['hostname'],
                'serverip' => (string) $row['ipaddress'],
                'serverport' => (string) $row['port'],
                'serversecure' => $row['secure'] === 'on' || $row['secure'] === '1' || $row['secure'] === 1,
                'serverusername' => (string) $row['username'],
                'serverpassword' => (string) decrypt((string) $row['password']),
                'serveraccesshash' => (string) $row['accesshash'],
            ];
        }
        return $out;
    }

    /**
     * Writes a service's disk figures (MB) and the time they were measured,
     * and with $bandwidth [usedMB, limitMB] its bandwidth figures too.
     */
    public static function saveUsage($serviceId, $diskMB, $limitMB, $lastUpdate, ?array $bandwidth = null)
    {
        if ($bandwidth === null) {
            $stmt = self::pdo()->prepare(
                'UPDATE tblhosting SET diskusage = ?, disklimit = ?, lastupdate = ? WHERE id = ?'
            );
            $stmt->execute([(int) $diskMB, (int) $limitMB, (string) $lastUpdate, (int) $serviceId]);
            return;
        }
        $stmt = self::pdo()->prepare(
            'UPDATE tblhosting SET diskusage = ?, disklimit = ?, bwusage = ?, bwlimit = ?, lastupdate = ? WHERE id = ?'
        );
        $stmt->execute([(int) $diskMB, (int) $limitMB, (int) $bandwidth[0], (int) $bandwidth[1], (string) $lastUpdate,
            (int) $serviceId]);
    }

    /**
     * Sends a product email template with extra merge fields.
     *
     * @return string '' on success, else WHMCS's message
     */
    public static function sendEmail($template, $serviceId, array $vars)
    {
        $result = localAPI('SendEmail', [
            'messagename' => (string) $template,
            'id' => (int) $serviceId,
            'customvars' => base64_encode(serialize($vars)),
        ]);
        if (is_array($result) && ($result['result'] ?? '') === 'success') {
            return '';
        }
        return is_array($result) ? (string) ($result['message'] ?? 'unknown error') : 'no answer';
    }

    /**
     * Records one remote call in the Module Log. WHMCS masks the replacevars
     * it is given as they are, so it gets every form the secrets take.
     */
    public static function log($action, $request, $response, $processed, array $secrets)
    {
        if (function_exists('logModuleCall')) {
            logModuleCall(self::MODULE, $action, $request, $response, $processed, Request::variants($secrets));
        }
    }

    /**
     * WHMCS's default language, or "english".
     *
     * @return string
     */
    public static function defaultLanguage()
    {
        $lang = '';
        if (class_exists('WHMCS\\Config\\Setting')) {
            try {
                $lang = (string) \WHMCS\Config\Setting::getValue('Language');
            } catch (\Throwable $e) {
                $lang = '';
            }
        }
        $lang = strtolower(trim($lang));
        return preg_match('/^[a-z]+$/', $lang) ? $lang : 'english';
    }
}
