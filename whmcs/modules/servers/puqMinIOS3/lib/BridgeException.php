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

    /** @var string the reason in the client's language (a client's self-service action), or "" */
    private $text;

    public function __construct($message, $errorCode = 'shim', $retryable = false, $text = '')
    {
        parent::__construct($message);
        $this->errorCode = $errorCode;
        $this->retryable = $retryable;
        $this->text = (string) $text;
    }

    /**
     * What a client is shown: the reason in its language when the binary
     * gave one, else the message.
     *
     * @return string
     */
    public function clientText()
    {
        return $this->text !== '' ? $this->text : $this->getMessage();
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
