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
     * Usage billing metrics for one server: the disk in use now (GB) and the
     * month-to-date average (GB), from the usage history the binary keeps.
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
            ];
        }

        /** Usage of every tenant of the server, keyed by user name. */
        public function usage()
        {
            $services = [];
            foreach (Whmcs::servicesOnServer((int) ($this->params['serverid'] ?? 0)) as $row) {
                if ((string) $row['username'] !== '') {
                    $services[] = ['id' => (int) $row['id'], 'username' => (string) $row['username']];
                }
            }
            $out = [];
            foreach ($this->fetch($services) as $tenant) {
                $out[(string) $tenant['username']] = $this->wrap($tenant);
            }
            return $out;
        }

        /** Usage of one tenant (a user name). */
        public function tenantUsage($tenant)
        {
            foreach (Whmcs::servicesOnServer((int) ($this->params['serverid'] ?? 0)) as $row) {
                if ((string) $row['username'] === (string) $tenant) {
                    foreach ($this->fetch([['id' => (int) $row['id'], 'username' => (string) $tenant]]) as $t) {
                        return $this->wrap($t);
                    }
                }
            }
            return $this->wrap([]);
        }

        /**
         * @param array[] $services [{id, username}]
         * @return array[] tenants
         */
        private function fetch(array $services)
        {
            if (!$services) {
                return [];
            }
            $request = Request::base('usage.metrics', $this->params);
            $request['params'] = ['services' => $services];
            $result = Rpc::call($request, Request::secrets($this->params));
            return (array) ($result['tenants'] ?? []);
        }

        private function wrap(array $tenant)
        {
            $values = [
                'diskusage' => $tenant['diskGB'] ?? null,
                'diskmonthavg' => $tenant['monthAvgGB'] ?? null,
            ];
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
