package rgwadmin

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// RGW error codes callers act on, as Ceph pacific sends them on the Admin
// Ops API. The list is not exhaustive: any code the server sends ends up in
// Error.Code.
const (
	CodeNoSuchUser        = "NoSuchUser"        // 404: the uid does not exist
	CodeUserAlreadyExists = "UserAlreadyExists" // 409: create-user on an existing uid, even with identical settings
	CodeKeyExists         = "KeyExists"         // 409: the access key belongs to another user
	CodeNoSuchBucket      = "NoSuchBucket"      // 404
	CodeNoSuchKey         = "NoSuchKey"         // 404: a metadata key (a bucket instance) that does not exist
	// 409: also RGW's answer to remove-user without PurgeData for a user
	// who still owns buckets.
	CodeBucketAlreadyExists = "BucketAlreadyExists"
	CodeInvalidTenantName   = "InvalidTenantName" // 400: the tenant part of "tenant$user" has other than letters, digits, _
	CodeInvalidArgument     = "InvalidArgument"   // 400: e.g. create-user without a display name
	// 403: the signing user lacks the admin cap for the call; also the
	// answer to UserByAccessKey for a key nobody holds.
	CodeAccessDenied = "AccessDenied"
	// 403: the signing access key is unknown. RGW also answers it when a
	// key to remove is not the user's, which RemoveKey avoids asking.
	CodeInvalidAccessKeyID    = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch" // 403: wrong secret key (or clock skew)
)

// Error is what every failure RGW reports becomes: the HTTP status and
// RGW's code, message and request id. Failures that never got an answer
// (network, TLS, deadline) are not an *Error.
type Error struct {
	StatusCode int
	Code       string
	Message    string // RGW leaves it empty for most admin errors
	RequestID  string
	Op         string // our name of the call: "create-user"
}

// Error implements the error interface. It holds only what the server said
// and the call's name, never the query; secrets the client knows of are
// scrubbed from the server's text before it gets here.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rgw admin: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	if e.Message != "" {
		b.WriteString(e.Message)
	} else {
		b.WriteString(http.StatusText(e.StatusCode))
	}
	fmt.Fprintf(&b, " (code %s, HTTP %d", e.Code, e.StatusCode)
	if e.RequestID != "" {
		b.WriteString(", request " + e.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// ErrorCodeOf returns RGW's error code if err is or wraps an *Error, and ""
// otherwise.
func ErrorCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// errorBody holds the fields of RGW's error bodies: JSON from the admin
// handlers, XML from a proxy or an S3-style answer.
type errorBody struct {
	XMLName   xml.Name `json:"-" xml:"Error"`
	Code      string   `json:"Code" xml:"Code"`
	Message   string   `json:"Message" xml:"Message"`
	RequestID string   `json:"RequestId" xml:"RequestId"`
}

// parseError turns a non-2xx answer into an *Error: JSON first, then XML,
// then the bare status for bodies that are neither (proxies, empty bodies).
// secrets are removed from the text in case the server echoes input.
func parseError(op string, status int, header http.Header, body []byte, secrets []string) *Error {
	e := &Error{StatusCode: status, Op: op}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code, e.Message, e.RequestID = eb.Code, eb.Message, eb.RequestID
	} else if eb = (errorBody{}); xml.Unmarshal(body, &eb) == nil && eb.Code != "" {
		e.Code, e.Message, e.RequestID = eb.Code, eb.Message, eb.RequestID
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
		if s != "" {
			e.Message = strings.ReplaceAll(e.Message, s, "[REDACTED]")
		}
	}
	return e
}

// TLSError reports that the TLS handshake or the server's certificate check
// failed. It wraps the crypto/tls or crypto/x509 error, so callers can use
// errors.As with *TLSError, *tls.CertificateVerificationError,
// x509.UnknownAuthorityError and the like. It is never retried: a wrong
// certificate does not fix itself in a second.
type TLSError struct {
	Op  string // the admin call, e.g. "user-info"
	Err error
}

// Error implements the error interface.
func (e *TLSError) Error() string {
	return "rgw admin: " + e.Op + ": TLS: " + e.Err.Error()
}

// Unwrap returns the underlying crypto/tls or crypto/x509 error.
func (e *TLSError) Unwrap() error { return e.Err }
