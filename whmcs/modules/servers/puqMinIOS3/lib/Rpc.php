<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * One action end to end: run the binary, log the masked exchange in the
 * Module Log, and turn an error answer into a BridgeException whose message
 * an admin can act on.
 */
class Rpc
{
    /** Seconds the PHP side waits beyond the action's own timeout. */
    const GRACE = 15;

    /**
     * @param array $request the envelope
     * @param string[] $secrets strings to mask in the log
     * @return array the response's result
     * @throws BridgeException
     */
    public static function call(array $request, array $secrets)
    {
        $secrets = array_values(array_unique(array_merge($secrets, self::envelopeSecrets($request))));
        $timeout = (int) ($request['server']['timeoutSeconds'] ?? Request::TIMEOUT);
        $bridge = new Bridge(Bridge::defaultBinary(), max(1, $timeout) + self::GRACE);
        $action = (string) $request['action'];
        $logged = Request::mask($request, $secrets);
        try {
            $response = $bridge->run($request);
        } catch (BridgeException $e) {
            Whmcs::log($action, $logged, Request::mask($e->getMessage(), $secrets), '', $secrets);
            throw $e;
        }
        // A key just made: its secret is masked in every form it takes.
        $made = $response['result']['secretKey'] ?? '';
        if (is_string($made) && $made !== '') {
            $secrets[] = $made;
        }
        $masked = Request::mask(self::withoutPages($response), $secrets);
        Whmcs::log($action, $logged, json_encode($masked, JSON_UNESCAPED_SLASHES), $masked, $secrets);

        if (!empty($response['ok'])) {
            return is_array($response['result'] ?? null) ? $response['result'] : [];
        }
        $error = is_array($response['error'] ?? null) ? $response['error'] : [];
        $message = trim((string) ($error['message'] ?? ''));
        if ($message === '') {
            $message = 'The puqminio binary reported a failure without a message (code '
                . ($error['code'] ?? 'unknown') . ').';
        }
        $retryable = !empty($error['retryable']);
        if ($retryable && stripos($message, 'retrying is safe') === false) {
            $message .= ' Retrying is safe.';
        }
        throw new BridgeException($message, (string) ($error['code'] ?? 'unknown'), $retryable, (string) ($error['text'] ?? ''));
    }

    /**
     * Runs one action about a service and returns what WHMCS expects of an
     * account function: 'success' or the error text.
     *
     * @param string $action
     * @param array $params WHMCS module parameters
     * @param array $extra the request's "params" object
     * @param int $timeout seconds the action may take
     * @return string
     */
    public static function serviceAction($action, array $params, array $extra = [], $timeout = Request::TIMEOUT)
    {
        try {
            self::call(Request::forService($action, $params, $extra, $timeout), Request::secrets($params));
            return 'success';
        } catch (BridgeException $e) {
            return $e->getMessage();
        } catch (\Throwable $e) {
            Whmcs::log($action, '', $e->getMessage(), '', Request::secrets($params));
            return 'puqMinIOS3 ' . $action . ' failed: ' . $e->getMessage();
        }
    }

    /**
     * The response as the Module Log keeps it: a rendered page is replaced
     * by its size. A page shows the client's own password (when the product
     * says so) in whatever form the page needs, and the log is for the
     * exchange, not for the page.
     */
    private static function withoutPages(array $response)
    {
        if (isset($response['result']['html']) && is_string($response['result']['html'])) {
            $response['result']['html'] = sprintf('[page of %d bytes, not logged]', strlen($response['result']['html']));
        }
        return $response;
    }

    /**
     * Secrets carried in the envelope itself (server key, CA, service
     * password, the client's CSRF token, the secret of a key just made).
     *
     * @return string[]
     */
    private static function envelopeSecrets(array $request)
    {
        $out = [];
        foreach ([$request['server']['secretKey'] ?? '', $request['server']['caPem'] ?? '',
                     $request['service']['password'] ?? '', $request['params']['csrf'] ?? '',
                     $request['params']['newKey']['secretKey'] ?? ''] as $s) {
            if (is_string($s) && $s !== '') {
                $out[] = $s;
            }
        }
        return $out;
    }
}
