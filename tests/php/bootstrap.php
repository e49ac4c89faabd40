<?php
/**
 * PHPUnit's bootstrap: the WHMCS emulation (emulation.php), the module and
 * the test helpers.
 */

namespace {
    require __DIR__ . '/emulation.php';
    require dirname(__DIR__, 2) . '/whmcs/modules/servers/puqMinIOS3/puqMinIOS3.php';
    require dirname(__DIR__, 2) . '/whmcs/modules/servers/puqMinIOS3/hooks.php';
    require __DIR__ . '/Support.php';
}
