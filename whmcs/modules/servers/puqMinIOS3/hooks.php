<?php
/**
 * puqMinIOS3 hooks, loaded by WHMCS automatically.
 *
 * AfterCronJob runs after every WHMCS cron run (usually every 5 minutes). It
 * re-measures disk usage on servers whose services are due by their
 * product's "Usage re-check interval" (default 60 minutes), so a tenant who
 * fills the disk is limited within the hour rather than at the next daily
 * run, and keeps each server's listing of user and bucket names younger than
 * half an hour (Create checks new names against it). Turn it off with
 * define('PUQMINIO_RECHECK', false); in WHMCS's configuration.php.
 */

use WHMCS\Module\Server\PuqMinIOS3\Usage;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/autoload.php';

add_hook('AfterCronJob', 1, function ($vars) {
    if (defined('PUQMINIO_RECHECK') && !constant('PUQMINIO_RECHECK')) {
        return;
    }
    try {
        foreach (Usage::recheckDue() as $serverId => $outcome) {
            if ($outcome !== 'ok') {
                logActivity('puqMinIOS3: usage re-check of server ' . (int) $serverId . ': ' . $outcome);
            }
        }
    } catch (\Throwable $e) {
        logActivity('puqMinIOS3: usage re-check failed: ' . $e->getMessage());
    }
});
