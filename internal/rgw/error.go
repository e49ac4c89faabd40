package rgw

import (
	"errors"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// S3 error codes RGW answers a tenant's requests with, that the adapter
// acts on.
const (
	codeUserSuspended      = "UserSuspended"      // 403: the signing user, or the bucket's owner, is suspended
	codeQuotaExceeded      = "QuotaExceeded"      // 403: the owner's quota refuses the write
	codeTooManyBuckets     = "TooManyBuckets"     // 400: max-buckets reached
	codeNoSuchBucketPolicy = "NoSuchBucketPolicy" // 404
	codeMalformedPolicy    = "MalformedPolicy"    // 400: a bucket policy RGW does not take
)

// translate turns a failure of a call to the gateway, Admin Ops or S3, into
// a domain error saying what was being done. It is the one place RGW's
// codes become domain codes; every exported method returns its errors
// through it. The original failure stays reachable (errors.As with
// *rgwadmin.Error or minio.ErrorResponse).
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if out, ok := domain.FromTransport(err, doing); ok {
		return onGateway(out)
	}
	var ae *rgwadmin.Error
	if errors.As(err, &ae) {
		return fromCode(ae.Code, ae.StatusCode, ae.Message, doing, true).WithCause(err)
	}
	if r := minio.ToErrorResponse(err); r.Code != "" {
		return fromCode(r.Code, r.StatusCode, r.Message, doing, false).WithCause(err)
	}
	if isNameError(err) {
		// minio-go checks names before sending anything.
		return domain.Errorf(domain.EINVALIDNAME, "%s: %s", doing, domain.Printable(err.Error())).WithCause(err)
	}
	// A bad answer body, or a check of the client's: no retry fixes it,
	// and its text may quote what the gateway sent.
	return domain.Errorf(domain.EREMOTE, "%s: the gateway's answer could not be read", doing).WithCause(err)
}

// fromCode maps one RGW error code. admin says whether the admin
// credentials signed the call (Admin Ops) or the tenant's (S3).
func fromCode(code string, status int, message, doing string, admin bool) *domain.Error {
	switch code {
	case rgwadmin.CodeNoSuchUser, rgwadmin.CodeNoSuchEntity, rgwadmin.CodeNoSuchBucket, rgwadmin.CodeNoSuchKey, codeNoSuchBucketPolicy, "NoSuchSubUser":
		return domain.Errorf(domain.ENOTFOUND, "%s: the gateway has no such %s (%s)", doing, notFoundWhat(code), code)
	case rgwadmin.CodeKeyExists:
		return domain.Errorf(domain.ECONFLICT, "%s: the access key belongs to another user of the gateway (%s)", doing, code)
	case rgwadmin.CodeUserAlreadyExists, rgwadmin.CodeBucketAlreadyExists, "BucketAlreadyOwnedByYou":
		return domain.Errorf(domain.ECONFLICT, "%s: it exists already (%s)", doing, code)
	case codeUserSuspended:
		return domain.Errorf(domain.ECONFLICT, "%s: the gateway refused it because the user is suspended (%s)", doing, code)
	case codeQuotaExceeded, codeTooManyBuckets:
		return domain.Errorf(domain.ELIMIT, "%s: the account's limit refuses it (%s)", doing, code)
	case rgwadmin.CodeInvalidTenantName, "InvalidBucketName":
		return domain.Errorf(domain.EINVALIDNAME, "%s: the gateway refused the name (%s)", doing, code)
	case rgwadmin.CodeAccessDenied, rgwadmin.CodeInvalidAccessKeyID, rgwadmin.CodeSignatureDoesNotMatch:
		if admin {
			return domain.Errorf(domain.EUNAUTHORIZED, "%s: the gateway refused the admin credentials (%s); check the server's access key and secret, and that its user has the caps %s", doing, code, RequiredCaps)
		}
		return domain.Errorf(domain.EUNAUTHORIZED, "%s: the gateway refused the tenant's own key (%s)", doing, code)
	case "RequestTimeTooSkewed":
		return domain.Errorf(domain.EREMOTE, "%s: the clocks of WHMCS and the gateway differ by more than 15 minutes; fix the time on one of them", doing)
	case "MethodNotAllowed", "NotImplemented":
		return domain.Errorf(domain.EUNSUPPORTED, "%s: this gateway does not offer the call (%s)", doing, code)
	case "SlowDown", "ServiceUnavailable":
		return domain.Retryf(domain.EUNAVAILABLE, "%s: the gateway is busy or not ready (%s); retrying is safe", doing, code)
	}
	if status >= 500 {
		return domain.Retryf(domain.EUNAVAILABLE, "%s: the gateway answered %s %s; retrying is safe", doing, code, domain.Printable(message))
	}
	return domain.Errorf(domain.EREMOTE, "%s: the gateway answered %s %s", doing, code, domain.Printable(message))
}

func notFoundWhat(code string) string {
	switch code {
	case rgwadmin.CodeNoSuchUser, rgwadmin.CodeNoSuchEntity:
		return "user" // the IAM API's NoSuchEntity: the calls made name a user
	case rgwadmin.CodeNoSuchBucket:
		return "bucket"
	case codeNoSuchBucketPolicy:
		return "bucket policy"
	case "NoSuchSubUser":
		return "subuser"
	}
	return "entry"
}

// onGateway rewrites the shared transport messages, which speak of MinIO,
// for the gateway.
func onGateway(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) || !strings.Contains(de.Message, "MinIO") {
		return err
	}
	out := *de // the cause goes with the copy
	out.Message = strings.ReplaceAll(de.Message, "MinIO", "the gateway")
	return &out
}

// isNameError reports whether err is minio-go's own check of a bucket or
// object name, made before any request.
func isNameError(err error) bool {
	m := err.Error()
	return strings.HasPrefix(m, "Bucket name ") || strings.HasPrefix(m, "Object name ")
}

// isCode reports whether err is an RGW answer, Admin Ops or S3, with code.
func isCode(err error, code string) bool {
	var ae *rgwadmin.Error
	if errors.As(err, &ae) {
		return ae.Code == code
	}
	return err != nil && minio.ToErrorResponse(err).Code == code
}
