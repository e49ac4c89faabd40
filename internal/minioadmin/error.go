package minioadmin

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// MinIO error codes the client acts on. Any code the server sends ends up
// in Error.Code; translate sorts them into domain errors.
const (
	CodeNoSuchUser            = "XMinioAdminNoSuchUser"                 // 404: the user does not exist
	CodeNoSuchGroup           = "XMinioAdminNoSuchGroup"                // 404: the group does not exist
	CodeNoSuchPolicy          = "XMinioAdminNoSuchPolicy"               // 404: the canned policy does not exist
	CodeNoSuchServiceAccount  = "XMinioAdminNoSuchServiceAccount"       // 404: the access key does not exist
	CodePolicyAlreadyApplied  = "XMinioAdminPolicyChangeAlreadyApplied" // 400: attach would change nothing
	CodeInvalidCredentials    = "XMinioInvalidIAMCredentials"           // 400/404: bad keys; also "no such service account"
	CodeActionNotAllowed      = "XMinioIAMActionNotAllowed"             // 403: the name belongs to another kind of identity
	CodeServiceAccountTaken   = "XMinioIAMServiceAccountNotAllowed"     // 400: an access key of that name, or a user, exists
	CodeAccessDenied          = "AccessDenied"                          // 403: the signing credential lacks the right
	CodeXMinioAccessDenied    = "XMinioAccessDenied"                    // 403: the same, from admin handlers
	CodeInvalidAccessKeyID    = "InvalidAccessKeyId"                    // 403: the signing access key is unknown
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"                 // 403: wrong secret key (or clock skew)
	CodeTimeTooSkewed         = "RequestTimeTooSkewed"                  // 403: the clocks differ by over 15 minutes
	CodeServerNotInitialized  = "XMinioServerNotInitialized"            // 503: still starting; retried
)

// Error is what every failure MinIO reports becomes: the HTTP status and
// MinIO's own code, message, resource and request id. Failures that never
// got an answer (network, TLS, deadline) are not an *Error.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Resource   string
	RequestID  string
}

// Error implements the error interface. It holds only what the server said
// about the request, which never includes request bodies; secrets the
// client knows of are scrubbed from the server's text before it gets here.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("minio admin: ")
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(http.StatusText(e.StatusCode))
	}
	fmt.Fprintf(&b, " (code %s, HTTP %d", e.Code, e.StatusCode)
	if e.Resource != "" {
		b.WriteString(", resource " + e.Resource)
	}
	if e.RequestID != "" {
		b.WriteString(", request " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// ErrorCodeOf returns MinIO's error code if err is or wraps an *Error, and
// "" otherwise.
func ErrorCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorBody holds the fields MinIO sends in both its JSON and XML error
// bodies; the XML names are the same words as the JSON keys.
type errorBody struct {
	XMLName   xml.Name `json:"-" xml:"Error"`
	Code      string   `json:"Code" xml:"Code"`
	Message   string   `json:"Message" xml:"Message"`
	Resource  string   `json:"Resource" xml:"Resource"`
	RequestID string   `json:"RequestId" xml:"RequestId"`
}

// parseError turns a non-2xx answer into an *Error: JSON first (the admin
// handlers), then XML (auth middleware, plain S3 errors), then the bare
// status for bodies that are neither (proxies, empty bodies). secrets are
// removed from every text field in case the server echoes request input.
func parseError(status int, header http.Header, body []byte, secrets []string) *Error {
	e := &Error{StatusCode: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code, e.Message, e.Resource, e.RequestID = eb.Code, eb.Message, eb.Resource, eb.RequestID
	} else if eb = (errorBody{}); xml.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code, e.Message, e.Resource, e.RequestID = eb.Code, eb.Message, eb.Resource, eb.RequestID
	} else {
		// No structured body: name the status so callers can still switch
		// on Code ("ServiceUnavailable", "NotFound", ...).
		e.Code = strings.ReplaceAll(http.StatusText(status), " ", "")
		e.Message = http.StatusText(status)
	}
	if e.RequestID == "" {
		e.RequestID = header.Get("X-Amz-Request-Id")
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		e.Message = strings.ReplaceAll(e.Message, s, "[REDACTED]")
		e.Resource = strings.ReplaceAll(e.Resource, s, "[REDACTED]")
	}
	return e
}

// TLSError reports that the TLS handshake or the server's certificate check
// failed. It wraps the crypto/tls or crypto/x509 error, so callers can use
// errors.As with *TLSError, *tls.CertificateVerificationError,
// x509.UnknownAuthorityError, x509.HostnameError and the like. It is never
// retried: a wrong certificate does not fix itself in a second.
type TLSError struct {
	Op  string // the admin operation, e.g. "list-users"
	Err error
}

// Error implements the error interface.
func (e *TLSError) Error() string {
	return "minio admin: " + e.Op + ": TLS: " + e.Err.Error()
}

// Unwrap returns the underlying crypto/tls or crypto/x509 error.
func (e *TLSError) Unwrap() error { return e.Err }

// translate turns a failure of one admin call into a domain error saying
// what was being done, with the original failure as its cause (so
// ErrorCodeOf and errors.As still see MinIO's code). Every exported method
// returns its errors through it.
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	if de, ok := domain.FromTransport(err, doing); ok {
		return de
	}
	var me *Error
	if !errors.As(err, &me) {
		// A bad answer body or an encryption failure: no retry fixes it,
		// and its text may quote what MinIO sent.
		return domain.Errorf(domain.EREMOTE, "%s: MinIO's answer could not be read", doing).WithCause(err)
	}
	var out *domain.Error
	if isUnknownRoute(err) {
		return domain.Errorf(domain.EUNSUPPORTED, "%s: this MinIO release does not offer the call (%s)", doing, me.Code).WithCause(err)
	}
	switch me.Code {
	case CodeNoSuchUser, CodeNoSuchGroup, CodeNoSuchPolicy, CodeNoSuchServiceAccount:
		out = domain.Errorf(domain.ENOTFOUND, "%s: %s", doing, domain.Printable(me.Message))
	case CodeActionNotAllowed:
		out = domain.Errorf(domain.ECONFLICT, "%s: MinIO refused it for this name (%s): the name belongs to an access key or another kind of identity, not to a user", doing, domain.Printable(me.Message))
	case CodeInvalidCredentials, CodeAccessDenied, CodeXMinioAccessDenied, CodeInvalidAccessKeyID, CodeSignatureDoesNotMatch:
		out = domain.Errorf(domain.EUNAUTHORIZED, "%s: MinIO refused the admin credentials (%s); check the server's username and password and that they may administer users", doing, me.Code)
	case CodeServerNotInitialized:
		out = domain.Retryf(domain.EUNAVAILABLE, "%s: MinIO is still starting; retrying is safe", doing)
	case CodeTimeTooSkewed:
		out = domain.Errorf(domain.EREMOTE, "%s: the clocks of WHMCS and MinIO differ by more than 15 minutes; fix the time on one of them", doing)
	default:
		if me.StatusCode >= 500 {
			out = domain.Retryf(domain.EUNAVAILABLE, "%s: MinIO answered %s: %s; retrying is safe", doing, me.Code, domain.Printable(me.Message))
		} else {
			out = domain.Errorf(domain.EREMOTE, "%s: MinIO answered %s: %s", doing, me.Code, domain.Printable(me.Message))
		}
	}
	return out.WithCause(err)
}
