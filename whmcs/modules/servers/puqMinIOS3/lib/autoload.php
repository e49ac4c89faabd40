<?php
/**
 * WHMCS autoloads the module's lib/ classes itself; this fallback keeps them
 * loadable when the folder's case differs from the namespace's. Loaded by
 * both puqMinIOS3.php and hooks.php, once.
 */

spl_autoload_register(function ($class) {
    $prefix = 'WHMCS\\Module\\Server\\PuqMinIOS3\\';
    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
        $file = __DIR__ . '/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require_once $file;
        }
    }
});
