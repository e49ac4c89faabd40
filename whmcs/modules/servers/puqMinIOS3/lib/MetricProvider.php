<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;
use WHMCS\UsageBilling\Contracts\Metrics\ProviderInterface;
use WHMCS\UsageBilling\Metrics\Metric;
use WHMCS\UsageBilling\Metrics\Units\GigaBytes;
use WHMCS\UsageBilling\Metrics\Usage as MetricUsage;

// WHMCS before 7.9 has no usage billing: the class is declared only where its
// interface exists, so this file loads everywhere.
if (interface_exists(ProviderInterface::class)) {
    /**
     * Usage billing metrics for one server: the disk in use now (GB), the
     * month-to-date average (GB) and, for products that measure traffic,
     * the month's egress and ingress so far (GB), from the usage database
     * the binary keeps. Period metrics are month-to-date values (UTC
     * months), which WHMCS overwrites rather than adds.
     */
    class MetricProvider implements ProviderInterface
    {
        /** @var array module parameters of the server */
        private $params;

        public function __construct(array $params)
        {
            $this->params = $params;
        }

        /** The metrics this module reports. */
        public function metrics()
        {
            return [
                new Metric('diskusage', 'Disk Usage', MetricInterface::TYPE_SNAPSHOT, new GigaBytes()),
                new Metric('diskmonthavg', 'Disk Usage (month average)', MetricInterface::TYPE_PERIOD_MONTH, new GigaBytes()),
                new Metric('egress', 'Traffic Out (egress)', MetricInterface::TYPE_PERIOD_MONTH, new GigaBytes()),
                new Metric('ingress', 'Traffic In (ingress)', MetricInterface::TYPE_PERIOD_MONTH, new GigaBytes()),
            ];
        }

        /** Usage of every tenant of the server, keyed by user name. */
        public function usage()
        {
            $out = [];
            foreach ($this->fetch(null) as $tenant) {
                $out[(string) $tenant['username']] = $this->wrap($tenant);
            }
            return $out;
        }

        /** Usage of one tenant (a user name). */
        public function tenantUsage($tenant)
        {
            foreach ($this->fetch((string) $tenant) as $t) {
                return $this->wrap($t);
            }
            return $this->wrap([]);
        }

        /**
         * Asks the binary for the figures of the server's tenants, or of the
         * one named $only, each with its product (sent once per product).
         *
         * @param string|null $only a user name
         * @return array[] tenants
         */
        private function fetch($only)
        {
            $services = [];
            $products = [];
            foreach (Whmcs::servicesOnServer((int) ($this->params['serverid'] ?? 0)) as $row) {
                $username = (string) $row['username'];
                if ($username === '' || ($only !== null && $username !== $only)) {
                    continue;
                }
                $services[] = ['id' => (int) $row['id'], 'username' => $username,
                    'productKey' => ProductSettings::keyFor($row, $products)];
            }
            if (!$services) {
                return [];
            }
            $request = Request::base('usage.metrics', $this->params);
            $request['params'] = ['services' => $services, 'products' => array_values($products)];
            $result = Rpc::call($request, Request::secrets($this->params));
            return (array) ($result['tenants'] ?? []);
        }

        /**
         * The metrics with the tenant's figures; a figure the binary did not
         * give (traffic not measured, or the tenant's product is broken, which
         * the usage run reports) stays without usage.
         */
        private function wrap(array $tenant)
        {
            $values = [
                'diskusage' => $tenant['diskGB'] ?? null,
                'diskmonthavg' => $tenant['monthAvgGB'] ?? null,
                'egress' => $tenant['egressGB'] ?? null,
                'ingress' => $tenant['ingressGB'] ?? null,
            ];
            if (!empty($tenant['error'])) {
                $values = [];
            }
            $out = [];
            foreach ($this->metrics() as $metric) {
                $value = $values[$metric->systemName()] ?? null;
                if ($value !== null) {
                    $metric = $metric->withUsage(new MetricUsage((float) $value));
                }
                $out[] = $metric;
            }
            return $out;
        }
    }
}
