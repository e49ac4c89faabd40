<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * Carries a usage answer into WHMCS: the disk (and traffic) figures into
 * tblhosting, the due notices out as emails, and the sent ones back to the binary so each is
 * sent once (a failed email stays due and is tried on the next run).
 */
class Usage
{
    /** Seconds a usage run may take: exact measurement lists objects. */
    const TIMEOUT = 300;

    /**
     * Measures every Active and Suspended service of a server in one request.
     * With $onlyIfDue the binary measures nothing unless a service is due
     * under its product's re-check interval, counted from the binary's own
     * last run (the after-cron re-check).
     *
     * @param array $serverParams server parameters (serverid, serverhostname, ...)
     * @param bool $onlyIfDue
     * @return array{services: int, emails: int, failures: string[], skipped: bool}
     * @throws BridgeException
     */
    public static function updateServer(array $serverParams, $onlyIfDue = false)
    {
        $services = [];
        $products = [];
        foreach (Whmcs::servicesOnServer((int) ($serverParams['serverid'] ?? 0)) as $row) {
            if (trim((string) $row['username']) === '') {
                continue;
            }
            // Each product is sent once; its services name it by key.
            $services[] = [
                'id' => (int) $row['id'],
                'clientId' => (int) $row['userid'],
                'username' => (string) $row['username'],
                'status' => (string) $row['domainstatus'],
                'productKey' => ProductSettings::keyFor($row, $products),
            ];
        }
        if (!$services) {
            return ['services' => 0, 'emails' => 0, 'failures' => [], 'skipped' => true];
        }
        $request = Request::base('usage.update', $serverParams, self::TIMEOUT);
        $request['params'] = ['services' => $services, 'products' => array_values($products)];
        if ($onlyIfDue) {
            $request['params']['onlyIfDue'] = true;
        }
        $result = Rpc::call($request, Request::secrets($serverParams));
        $summary = self::apply($result['services'] ?? [], (string) ($result['lastUpdate'] ?? ''), $serverParams);
        if (isset($result['trafficError']['message'])) {
            // RGW's usage log was not counted or not trimmed; the next
            // run reads the same hours.
            $summary['failures'][] = 'traffic of server ' . (int) ($serverParams['serverid'] ?? 0) . ': '
                . (string) $result['trafficError']['message'];
        }
        $summary['skipped'] = !empty($result['skipped']);
        return $summary;
    }

    /**
     * The Recalculate button: measures one service exactly now, writes its
     * figures and sends a due notice. The binary rate-limits a client's
     * presses ($initiator 'client').
     *
     * @param array $params WHMCS module parameters
     * @param string $initiator 'admin' or 'client'
     * @return string 'success' or an error message
     */
    public static function recalculate(array $params, $initiator)
    {
        try {
            $request = Request::forService('usage.recalculate', $params, ['initiator' => $initiator], 120);
            $entry = Rpc::call($request, Request::secrets($params));
            $entry['id'] = (int) ($entry['id'] ?? $params['serviceid']);
            $summary = self::apply([$entry], '', $params);
            return $summary['failures'] ? implode(' ', $summary['failures']) : 'success';
        } catch (BridgeException $e) {
            return $e->getMessage();
        } catch (\Throwable $e) {
            Whmcs::log('usage.recalculate', '', $e->getMessage(), '', Request::secrets($params));
            return 'puqMinIOS3 RecalculateDiskSpace failed: ' . $e->getMessage();
        }
    }

    /**
     * Writes the figures, sends the due notices and reports the sent ones.
     *
     * @param array[] $entries the "services" of a usage answer
     * @param string $lastUpdate RFC 3339 time of the measurement
     * @param array $serverParams for the usage.notified request
     * @return array{services: int, emails: int, failures: string[]}
     * @throws BridgeException
     */
    public static function apply(array $entries, $lastUpdate, array $serverParams)
    {
        // A missing or zero time (nothing came from MinIO's scanner) means "now".
        $when = $lastUpdate !== '' ? strtotime($lastUpdate) : false;
        if ($when === false || $when <= 0) {
            $when = time();
        }
        $stamp = date('Y-m-d H:i:s', $when);
        $sent = [];
        $failures = [];
        foreach ($entries as $entry) {
            $serviceId = (int) ($entry['id'] ?? 0);
            if ($serviceId <= 0) {
                continue;
            }
            if (!empty($entry['error'])) {
                $failures[] = sprintf('Service %d was not measured: %s', $serviceId,
                    (string) ($entry['error']['message'] ?? $entry['error']['code'] ?? 'unknown error'));
                continue;
            }
            // Traffic, for products that measure it: the month's egress and
            // the egress allowance in WHMCS's bandwidth columns.
            $bandwidth = null;
            if (is_array($entry['traffic'] ?? null)) {
                $bandwidth = [(int) ($entry['traffic']['egressMB'] ?? 0), (int) ($entry['traffic']['allowanceMB'] ?? 0)];
            }
            Whmcs::saveUsage($serviceId, (int) round($entry['usedMB'] ?? 0), (int) round($entry['limitMB'] ?? 0), $stamp, $bandwidth);
            foreach ((array) ($entry['notices'] ?? []) as $notice) {
                $template = (string) ($notice['template'] ?? '');
                if ($template === '') {
                    continue;
                }
                $error = Whmcs::sendEmail($template, $serviceId, (array) ($notice['vars'] ?? []));
                if ($error === '') {
                    // The notice's period (the month of an egress notice) goes
                    // back as it came, so the binary marks the right month.
                    $done = ['serviceId' => $serviceId, 'kind' => (string) ($notice['kind'] ?? '')];
                    if ((string) ($notice['period'] ?? '') !== '') {
                        $done['period'] = (string) $notice['period'];
                    }
                    $sent[] = $done;
                } else {
                    $failures[] = sprintf('Service %d: email "%s" was not sent: %s', $serviceId, $template, $error);
                }
            }
        }
        if ($sent) {
            $request = Request::base('usage.notified', $serverParams);
            $request['params'] = ['notices' => $sent];
            Rpc::call($request, Request::secrets($serverParams));
        }
        return ['services' => count($entries), 'emails' => count($sent), 'failures' => $failures];
    }

    /**
     * The after-cron re-check: asks the binary, for each server, to measure
     * it if a service is due under its product's re-check interval (default
     * 60 minutes). The daily UsageUpdate still runs as usual.
     *
     * @return array<int, string> server id => "ok" or the error text, for the servers measured
     */
    public static function recheckDue()
    {
        $ran = [];
        foreach (Whmcs::servers() as $server) {
            try {
                $summary = self::updateServer($server, true);
                if (!$summary['skipped']) {
                    $ran[$server['serverid']] = $summary['failures'] ? implode(' ', $summary['failures']) : 'ok';
                }
            } catch (\Throwable $e) {
                $ran[$server['serverid']] = $e->getMessage();
            }
            try {
                self::refreshNames($server);
            } catch (\Throwable $e) {
                $ran[$server['serverid']] = 'listing its names: ' . $e->getMessage();
            }
        }
        return $ran;
    }

    /**
     * Keeps the server's listing of user and bucket names young, so that
     * Create checks new names against it without listing the server itself
     * (the binary lists it again only when it is older than half an hour).
     *
     * @param array $serverParams server parameters
     * @throws BridgeException
     */
    public static function refreshNames(array $serverParams)
    {
        $request = Request::base('names.refresh', $serverParams, self::TIMEOUT);
        $request['params'] = ['onlyIfStale' => true];
        Rpc::call($request, Request::secrets($serverParams));
    }
}
