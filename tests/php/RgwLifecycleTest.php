<?php

/**
 * The lifecycle of LifecycleTest, through the same module functions, on a
 * Ceph RADOS Gateway server (a real single-node cluster): a server whose
 * Access Hash says "backend: rgw".
 */
class RgwLifecycleTest extends LifecycleTest
{
    protected static function backend()
    {
        return 'rgw';
    }
}
