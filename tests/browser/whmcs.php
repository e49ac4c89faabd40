<?php
/**
 * The browser test's clientarea.php (run by `php -S` with this file as its
 * router): what WHMCS does on a client's product details page, with the
 * real module. A custom function named by ?modop=custom&a= runs first when
 * the module allows it (ClientAreaCustomButtonArray or
 * ClientAreaAllowedFunctions), its result becomes WHMCS's alert, then
 * ClientArea renders the page, in the same request. The answer is JSON
 * {alert, html}: the Go test wraps it in a WHMCS-like theme. The
 * configuration file ($PUQS3_BROWSER_CONFIG) names the server and each
 * service with its product's settings; every logModuleCall is appended,
 * as WHMCS would keep it before masking, to the file the test scans.
 */

namespace {
    use WHMCS\Module\Server\PuqMinIOS3\ProductSettings;

    require dirname(__DIR__) . '/php/emulation.php';
    require dirname(__DIR__, 2) . '/whmcs/modules/servers/puqMinIOS3/puqMinIOS3.php';

    $cfg = json_decode((string) file_get_contents((string) getenv('PUQS3_BROWSER_CONFIG')), true);
    if (parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) !== '/clientarea.php' || !is_array($cfg)) {
        http_response_code(404);
        exit;
    }
    session_save_path($cfg['sessions']);
    session_start();
    $service = $cfg['services'][(string) (int) ($_GET['id'] ?? 0)] ?? null;
    if (!is_array($service)) {
        http_response_code(404);
        exit;
    }
    $_SESSION['Language'] = $service['language'];
    $params = $cfg['server'] + [
        'serviceid' => $service['id'], 'userid' => $service['clientId'], 'username' => $service['username'],
        'password' => $service['password'], 'status' => 'Active', 'domain' => '',
        'clientsdetails' => ['language' => $service['language']],
    ];
    $n = 0;
    foreach (ProductSettings::fields() as $name => $field) {
        $n++;
        $value = $service['product'][$name] ?? '';
        $params['configoption' . $n] = $value === true ? 'on' : (string) $value;
    }

    $alert = null;
    if (($_GET['modop'] ?? '') === 'custom') {
        $function = (string) ($_GET['a'] ?? '');
        $allowed = array_merge(array_values(puqMinIOS3_ClientAreaCustomButtonArray()), puqMinIOS3_ClientAreaAllowedFunctions());
        $result = in_array($function, $allowed, true) ? call_user_func('puqMinIOS3_' . $function, $params) : 'Invalid function';
        $alert = $result === 'success'
            ? ['kind' => 'success', 'text' => 'Action Completed Successfully']
            : ['kind' => 'error', 'text' => 'Module Action Failed: ' . $result];
    }
    $html = puqMinIOS3_ClientArea($params);
    foreach (WhmcsEmulation::$moduleLog as $entry) {
        file_put_contents($cfg['moduleLog'], $entry['raw'] . "\n", FILE_APPEND | LOCK_EX);
    }
    header('Content-Type: application/json');
    echo json_encode(['alert' => $alert, 'html' => $html]);
}
