<?php
/**
 * puqMinIOS3: sells MinIO S3 storage from WHMCS.
 *
 * A thin module: each function below reads WHMCS's $params, runs the
 * puqminio binary once (`puqminio rpc`, one JSON request on stdin, one JSON
 * answer on stdout, see docs/bridge.md) and carries the answer back into
 * WHMCS. Every decision, every MinIO call and every page is the binary's.
 *
 * @license Apache-2.0
 */

use WHMCS\Module\Server\PuqMinIOS3\BridgeException;
use WHMCS\Module\Server\PuqMinIOS3\MetricProvider;
use WHMCS\Module\Server\PuqMinIOS3\ProductSettings;
use WHMCS\Module\Server\PuqMinIOS3\Request;
use WHMCS\Module\Server\PuqMinIOS3\Rpc;
use WHMCS\Module\Server\PuqMinIOS3\SelfService;
use WHMCS\Module\Server\PuqMinIOS3\Usage;
use WHMCS\Module\Server\PuqMinIOS3\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/autoload.php';

/**
 * Module metadata. Called whenever WHMCS reads the module's settings.
 *
 * @return array
 */
function puqMinIOS3_MetaData()
{
    return [
        'DisplayName' => 'PUQ MinIO S3',
        'APIVersion' => '1.1',
        'RequiresServer' => true,
        'DefaultNonSSLPort' => '9000',
        'DefaultSSLPort' => '443',
        'ServiceSingleSignOnLabel' => false,
        'AdminSingleSignOnLabel' => false,
        'ListAccountsUniqueIdentifierField' => 'username',
        'ListAccountsUniqueIdentifierDisplayName' => 'Username',
        'ListAccountsProductField' => 'configoption5',
    ];
}

/**
 * The product's Module Settings tab. Fields are only ever appended: WHMCS
 * stores them as configoption1..N by position.
 *
 * @return array
 */
function puqMinIOS3_ConfigOptions()
{
    return ProductSettings::configOptions();
}

/**
 * Loader of the email-template dropdowns: WHMCS's product email templates.
 * Throws to let WHMCS show the error next to the field.
 *
 * @return array<string, string>
 */
function puqMinIOS3_ProductEmailTemplates()
{
    try {
        return ['' => '(none)'] + Whmcs::productEmailTemplates();
    } catch (\Throwable $e) {
        throw new \Exception('Could not read the product email templates: ' . $e->getMessage());
    }
}

/**
 * Creates the MinIO user, its policy, group and default bucket. Called when
 * an order is accepted or an admin presses Create. Afterwards the service's
 * user name and password in WHMCS are the ones on MinIO.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_CreateAccount(array $params)
{
    try {
        $result = Rpc::call(Request::forService('account.create', $params), Request::secrets($params));
        $username = (string) ($result['username'] ?? '');
        $password = (string) ($result['password'] ?? '');
        if ($username === '' || $password === '') {
            return 'The account was created but the binary returned no user name or password; press Create again to repeat it safely.';
        }
        Whmcs::saveCredentials((int) $params['serviceid'], $username, $password);
        return 'success';
    } catch (BridgeException $e) {
        return $e->getMessage();
    } catch (\Throwable $e) {
        Whmcs::log('account.create', '', $e->getMessage(), '', Request::secrets($params));
        return 'puqMinIOS3 CreateAccount failed: ' . $e->getMessage();
    }
}

/**
 * Disables the MinIO user (its data stays). Called on overdue suspension or
 * by an admin.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_SuspendAccount(array $params)
{
    try {
        return Rpc::serviceAction('account.suspend', $params);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Enables the MinIO user again.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_UnsuspendAccount(array $params)
{
    try {
        return Rpc::serviceAction('account.unsuspend', $params);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Deletes the user's buckets, objects, access keys, policy and the user.
 * Safe to run again after a partial failure.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_TerminateAccount(array $params)
{
    try {
        return Rpc::serviceAction('account.terminate', $params, [], 300);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Sets the MinIO user's secret key to $params['password'], the new password
 * WHMCS stores on success. Called from the client or admin area.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_ChangePassword(array $params)
{
    try {
        return Rpc::serviceAction('account.password', $params);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Applies the new product's group and policy after an upgrade or downgrade.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_ChangePackage(array $params)
{
    try {
        return Rpc::serviceAction('account.package', $params);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * The server page's Test Connection button (server parameters only).
 *
 * @return array{success: bool, error: string}
 */
function puqMinIOS3_TestConnection(array $params)
{
    try {
        Rpc::call(Request::base('server.check', $params), Request::secrets($params));
        return ['success' => true, 'error' => ''];
    } catch (\Throwable $e) {
        return ['success' => false, 'error' => $e->getMessage()];
    }
}

/**
 * Daily cron, once per server: measures every Active and Suspended service of
 * the server in one request, writes tblhosting's disk figures (MB) and, for
 * products that measure traffic, the month's egress and allowance as its
 * bandwidth figures (MB), and sends the due disk-limit and egress emails.
 */
function puqMinIOS3_UsageUpdate(array $params)
{
    try {
        $summary = Usage::updateServer($params);
        foreach ($summary['failures'] as $failure) {
            logActivity('puqMinIOS3: ' . $failure);
        }
    } catch (\Throwable $e) {
        logActivity('puqMinIOS3: usage update of server ' . (int) ($params['serverid'] ?? 0)
            . ' failed: ' . $e->getMessage());
    }
}

/**
 * Extra buttons on the admin service page.
 *
 * @return array<string, string> label => function suffix
 */
function puqMinIOS3_AdminCustomButtonArray()
{
    return [
        'Update Policy' => 'UpdatePolicy',
        'Set Standard Policy' => 'SetStandardPolicy',
        'Set Limited Policy' => 'SetLimitedPolicy',
        'Recalculate Disk Space' => 'RecalculateDiskSpace',
        'Delete Bucket' => 'AdminDeleteBucket',
        'Revoke Access Key' => 'AdminRevokeKey',
    ];
}

/**
 * Extra buttons on the client's service page.
 *
 * @return array<string, string> label => function suffix
 */
function puqMinIOS3_ClientAreaCustomButtonArray()
{
    return [
        'Recalculate Disk Space' => 'ClientRecalculateDiskSpace',
    ];
}

/**
 * The client area's self-service forms (issue 13): custom functions WHMCS
 * lets the client's service page call (modop=custom&a=...) without showing
 * them as buttons. Each is a POST form of the module's page.
 *
 * @return string[]
 */
function puqMinIOS3_ClientAreaAllowedFunctions()
{
    return array_values(SelfService::CLIENT);
}

/**
 * Client form: makes a bucket "<username>-<name>" within the product's limits.
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientCreateBucket(array $params)
{
    return SelfService::client('bucket.create', $params);
}

/**
 * Client form: deletes one of the client's buckets (its name typed again
 * when it holds objects).
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientDeleteBucket(array $params)
{
    return SelfService::client('bucket.delete', $params);
}

/**
 * Client form: turns a bucket's versioning on or off (suspended).
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientBucketVersioning(array $params)
{
    return SelfService::client('bucket.versioning', $params);
}

/**
 * Client form: sets a bucket's expiry rules.
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientBucketLifecycle(array $params)
{
    return SelfService::client('bucket.lifecycle', $params);
}

/**
 * Client form: public read of a bucket or a prefix, where the product
 * allows it, or its end.
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientBucketPublic(array $params)
{
    return SelfService::client('bucket.public', $params);
}

/**
 * Client form: makes an access key; the page WHMCS shows next holds its
 * secret, once.
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientCreateKey(array $params)
{
    return SelfService::client('key.create', $params);
}

/**
 * Client form: revokes one of the access keys the client area made.
 *
 * @return string 'success' or, in the client's language, why not
 */
function puqMinIOS3_ClientRevokeKey(array $params)
{
    return SelfService::client('key.revoke', $params);
}

/**
 * Admin button, used from the MinIO S3 panel's Delete form of a bucket.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_AdminDeleteBucket(array $params)
{
    return SelfService::admin('bucket.delete', $params);
}

/**
 * Admin button, used from the MinIO S3 panel's Revoke form of a key.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_AdminRevokeKey(array $params)
{
    return SelfService::admin('key.revoke', $params);
}

/**
 * Admin button: applies the policy the current usage calls for.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_UpdatePolicy(array $params)
{
    try {
        return Rpc::serviceAction('policy.apply', $params, ['mode' => 'auto']);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Admin button: forces the standard policy.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_SetStandardPolicy(array $params)
{
    try {
        return Rpc::serviceAction('policy.apply', $params, ['mode' => 'standard']);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Admin button: forces the disk-limit policy.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_SetLimitedPolicy(array $params)
{
    try {
        return Rpc::serviceAction('policy.apply', $params, ['mode' => 'limited']);
    } catch (\Throwable $e) {
        return $e->getMessage();
    }
}

/**
 * Admin button: measures this service exactly now, writes its disk figures
 * and sends a due notice.
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_RecalculateDiskSpace(array $params)
{
    return Usage::recalculate($params, 'admin');
}

/**
 * Client button: the same, at most once every few minutes per service
 * (an exact measurement lists every object version).
 *
 * @return string 'success' or an error message
 */
function puqMinIOS3_ClientRecalculateDiskSpace(array $params)
{
    return Usage::recalculate($params, 'client');
}

/**
 * The admin service page's MinIO S3 panel: connection, user, policy and
 * disk state.
 *
 * @return array<string, string> label => HTML
 */
function puqMinIOS3_AdminServicesTabFields(array $params)
{
    try {
        $result = Rpc::call(Request::forService('render.admin', $params, Request::adminPage($params)), Request::secrets($params));
        return ['MinIO S3' => (string) ($result['html'] ?? '')];
    } catch (\Throwable $e) {
        return ['MinIO S3' => '<div class="alert alert-danger">'
            . htmlspecialchars($e->getMessage(), ENT_QUOTES, 'UTF-8') . '</div>'];
    }
}

/**
 * The client's product details page: the overview, or the page
 * ?puqs3page= names (stats, keys, bucket with ?puqs3bucket=). After a
 * self-service form in the same request, the page the form asked for, and
 * a key just made with its secret, shown this once.
 *
 * @return string HTML
 */
function puqMinIOS3_ClientArea(array $params)
{
    try {
        $page = SelfService::$returnTo !== '' ? SelfService::$returnTo : (string) ($_GET['puqs3page'] ?? '');
        $page = in_array($page, SelfService::PAGES, true) ? $page : 'overview';
        $bucket = (string) ($_GET['puqs3bucket'] ?? ($_POST['puqs3_bucket'] ?? ''));
        if ($page === 'bucket' && $bucket === '') {
            $page = 'overview';
        }
        $result = Rpc::call(Request::forService('render.client', $params,
            Request::clientPage($params, $page, $bucket, SelfService::$made)), Request::secrets($params));
        return (string) ($result['html'] ?? '');
    } catch (\Throwable $e) {
        return '<div class="alert alert-warning">'
            . htmlspecialchars('The storage details cannot be shown right now. Please try again later or contact support.', ENT_QUOTES, 'UTF-8')
            . '</div>';
    }
}

/**
 * The server sync tool (WHMCS 7.8+): the MinIO users already on the server.
 * MinIO does not record when a user was created, so "created" is the time of
 * the listing.
 *
 * @return array
 */
function puqMinIOS3_ListAccounts(array $params)
{
    try {
        $result = Rpc::call(Request::base('account.list', $params), Request::secrets($params));
        $accounts = [];
        foreach ((array) ($result['accounts'] ?? []) as $account) {
            $username = (string) ($account['username'] ?? '');
            if ($username === '') {
                continue;
            }
            $groups = (array) ($account['groups'] ?? []);
            $accounts[] = [
                'email' => '',
                'username' => $username,
                'domain' => '',
                'uniqueIdentifier' => $username,
                'product' => (string) ($groups[0] ?? ''),
                'primaryip' => '',
                'created' => date('Y-m-d H:i:s'),
                'status' => !empty($account['enabled']) ? 'Active' : 'Suspended',
            ];
        }
        return ['success' => true, 'accounts' => $accounts];
    } catch (\Throwable $e) {
        return ['success' => false, 'error' => $e->getMessage(), 'accounts' => []];
    }
}

/**
 * Usage billing (WHMCS 7.9+): disk in use (GB), the month-to-date average
 * (GB) and, for products that measure traffic, the month's egress and
 * ingress so far (GB) per tenant.
 *
 * @return object|null the provider, or null where WHMCS has no usage billing
 */
function puqMinIOS3_MetricProvider(array $params)
{
    try {
        return class_exists(MetricProvider::class) ? new MetricProvider($params) : null;
    } catch (\Throwable $e) {
        logActivity('puqMinIOS3: metric provider failed: ' . $e->getMessage());
        return null;
    }
}
