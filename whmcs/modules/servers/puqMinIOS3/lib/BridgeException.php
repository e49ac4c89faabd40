<?php

namespace WHMCS\Module\Server\PuqMinIOS3;

/**
 * A failure an admin can act on. The message is plain text, holds no secret
 * and is what the module function returns to WHMCS.
 */
class BridgeException extends \RuntimeException
{
    /** @var string the bridge error code, or "shim" for failures before any answer */
    private $errorCode;

    /** @var bool whether running the same action again may succeed */
    private $retryable;

    public function __construct($message, $errorCode = 'shim', $retryable = false)
    {
        parent::__construct($message);
        $this->errorCode = $errorCode;
        $this->retryable = $retryable;
    }

    /** @return string */
    public function errorCode()
    {
        return $this->errorCode;
    }

    /** @return bool */
    public function isRetryable()
    {
        return $this->retryable;
    }
}
