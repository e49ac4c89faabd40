// Package domain holds the types, rules and errors of puqMinIOS3: what an S3
// storage account is, how it is named, which policy it gets and how its disk
// usage is judged. It knows nothing of MinIO's wire protocol, SQLite or WHMCS;
// the packages around it translate their own errors into the errors here.
package domain

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// Error codes. A bridge response carries one of them; the PHP shim maps them
// to words. Codes that concern the request itself are returned before any
// call reaches MinIO.
const (
	EINVALIDJSON  = "invalid_json"        // the request is not one JSON object
	EVERSION      = "unsupported_version" // the envelope version is not known
	EUNKNOWN      = "unknown_action"      // the action is not known
	EMISSING      = "missing_field"       // a required field is absent or empty
	EINVALID      = "invalid_field"       // a field has the wrong type or value
	ETOOLARGE     = "too_large"           // the request exceeds the size limit
	EINVALIDNAME  = "invalid_name"        // a user or bucket name MinIO would refuse
	EINVALIDPOL   = "invalid_policy"      // a policy that is malformed or reaches outside its tenant
	ECONFLICT     = "name_conflict"       // the name overlaps another tenant's namespace
	ENOTFOUND     = "not_found"           // the user, policy or group does not exist
	ERETENTION    = "object_retention"    // objects under retention or legal hold block deletion
	EUNAUTHORIZED = "unauthorized"        // MinIO refused the admin credentials
	EUNAVAILABLE  = "unavailable"         // MinIO cannot be reached or is not ready
	ETIMEOUT      = "timeout"             // the call's deadline passed
	ETLS          = "tls"                 // the TLS handshake or certificate check failed
	EREMOTE       = "minio_error"         // MinIO answered with an error we do not map
	EUNSUPPORTED  = "unsupported"         // the server does not offer the call (an older release)
	ELIMIT        = "limit_reached"       // a per-service limit or rate limit refuses the action
	ENOTALLOWED   = "not_allowed"         // the product or the account's state does not allow the action
	ENOTEMPTY     = "bucket_not_empty"    // deleting a bucket that holds objects needs its name typed again
	ESTORE        = "store"               // the usage history database failed
	EINTERNAL     = "internal"            // a bug; details are in the operator's log
)

// Error is a failure the end user or admin may read. Code is one of the
// constants above, Message is safe to show (it never holds a secret), and
// Retryable says whether running the same action again may succeed.
type Error struct {
	Code      string
	Message   string
	Retryable bool
	// Refusal names, in one word of the Refuse* constants, why a client's
	// self-service action was refused; the pages say it in the client's
	// language. "" for every other error.
	Refusal string

	// cause is the failure this error describes (an adapter's own error
	// type, a network error), for errors.Is and errors.As and the
	// operator's log; it is never shown to users.
	cause error
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the failure e describes, if it was given one.
func (e *Error) Unwrap() error { return e.cause }

// WithCause returns a copy of e that wraps cause, so callers can still ask
// errors.Is and errors.As about the original failure.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// Errorf returns a non-retryable *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Retryf returns a retryable *Error with a formatted message.
func Retryf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Retryable: true}
}

// Refusef returns a non-retryable *Error for a self-service action the
// module refuses, with refusal (a Refuse* word) for the pages to translate.
func Refusef(code, refusal, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Refusal: refusal}
}

// ErrorRefusal returns the Refusal of err's *Error, "" when it has none.
func ErrorRefusal(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Refusal
	}
	return ""
}

// ErrorCode returns the code of err's *Error, or EINTERNAL for any other error
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err's *Error, or a generic text for any
// other error: internal details belong in the log, not in front of users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error; see the puqminio log for details"
}

// Field puts the field path in front of a domain error's message unless the
// message names it already, so that every refusal says which field of the
// request is wrong. Other errors and nil pass through.
func Field(path string, err error) error {
	var de *Error
	if !errors.As(err, &de) || strings.Contains(de.Message, path) {
		return err
	}
	out := *de
	out.Message = path + ": " + de.Message
	return &out
}

// IsRetryable reports whether err is an *Error marked retryable.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// IsTLSFailure reports whether err comes from the TLS handshake or the
// certificate check rather than from the network: the admin clients of
// both backends never retry it, since a wrong certificate does not fix
// itself in a second.
func IsTLSFailure(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &alert) ||
		errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid)
}

// FromTransport sorts out the failures every MinIO client shares: an error
// that is already an *Error passes through, an untrusted certificate is
// ETLS, and a call that got no answer is described by Unanswered. ok is
// false for anything else, which the caller maps from its own API's codes.
func FromTransport(err error, doing string) (out error, ok bool) {
	var de *Error
	if errors.As(err, &de) {
		return err, true
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn) {
		return Errorf(ETLS, "%s: the server's TLS certificate is not trusted (%s); add its CA in the server's Access Hash field", doing, Printable(rootCause(err))).WithCause(err), true
	}
	// The deadline before any answer: a call cut short after MinIO
	// answered with an error still ended because time ran out.
	if e, ok := Unanswered(err, doing); ok {
		return e.WithCause(err), true
	}
	return nil, false
}

// Unanswered turns a call that got no answer from MinIO (the deadline
// passed, the connection was refused or dropped, the host is unreachable)
// into a retryable *Error saying what happened while doing, and returns
// false for any other error. Every account action is idempotent, so each
// message says that running it again is safe; whether the interrupted step
// took effect is stated, because an admin looking at MinIO meanwhile may
// see it half done.
func Unanswered(err error, doing string) (*Error, bool) {
	switch {
	case err == nil:
		return nil, false
	case errors.Is(err, context.DeadlineExceeded):
		return Retryf(ETIMEOUT, "%s: MinIO did not answer before the call's deadline (the server's timeout setting), so the action stopped at this step; whether MinIO carried it out is unknown. Retrying is safe: the action checks what is already done", doing), true
	case errors.Is(err, context.Canceled):
		return Retryf(ETIMEOUT, "%s: the call was cancelled before MinIO answered; whether MinIO carried out this step is unknown. Retrying is safe: the action checks what is already done", doing), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return Retryf(EUNAVAILABLE, "%s: MinIO refused the connection: the server is not running or not listening on this port, so this step was not carried out. Retrying is safe once MinIO is back", doing), true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "connection broken"),
		// minio-go replaces an EOF with this text, unwrapped.
		strings.Contains(err.Error(), "Connection closed by foreign host"):
		return Retryf(EUNAVAILABLE, "%s: MinIO closed the connection before answering (it may have stopped or restarted); whether it carried out this step is unknown. Retrying is safe: the action checks what is already done", doing), true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		if ne.Timeout() {
			return Retryf(ETIMEOUT, "%s: MinIO did not answer in time (network timeout); whether it carried out this step is unknown. Retrying is safe: the action checks what is already done", doing), true
		}
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return Retryf(EUNAVAILABLE, "%s: cannot reach MinIO (%s), so this step was not carried out. Retrying is safe once MinIO is reachable", doing, Printable(rootCause(err))), true
		}
		return Retryf(EUNAVAILABLE, "%s: the connection to MinIO failed (%s); whether MinIO carried out this step is unknown. Retrying is safe: the action checks what is already done", doing, Printable(rootCause(err))), true
	}
	return nil, false
}

// rootCause is the innermost error's text: "connect: no route to host"
// rather than the whole chain with its URL.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
