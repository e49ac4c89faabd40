package rgw

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/rgwadmin"
)

// Every RGW answer and transport failure becomes one domain code, in one
// place, keeping the original failure as its cause.
func TestTranslate(t *testing.T) {
	admin := func(status int, c string) error { return &rgwadmin.Error{StatusCode: status, Code: c, Op: "x"} }
	s3 := func(status int, c string) error { return minio.ErrorResponse{StatusCode: status, Code: c} }
	for _, tc := range []struct {
		err       error
		code      string
		retryable bool
	}{
		{admin(404, "NoSuchUser"), domain.ENOTFOUND, false},
		{admin(404, "NoSuchKey"), domain.ENOTFOUND, false},
		{s3(404, "NoSuchBucket"), domain.ENOTFOUND, false},
		{admin(409, "KeyExists"), domain.ECONFLICT, false},
		{admin(409, "UserAlreadyExists"), domain.ECONFLICT, false},
		{s3(403, "UserSuspended"), domain.ECONFLICT, false},
		{s3(403, "QuotaExceeded"), domain.ELIMIT, false},
		{s3(400, "TooManyBuckets"), domain.ELIMIT, false},
		{admin(400, "InvalidTenantName"), domain.EINVALIDNAME, false},
		{admin(403, "AccessDenied"), domain.EUNAUTHORIZED, false},
		{admin(403, "SignatureDoesNotMatch"), domain.EUNAUTHORIZED, false},
		{s3(403, "InvalidAccessKeyId"), domain.EUNAUTHORIZED, false},
		{admin(405, "MethodNotAllowed"), domain.EUNSUPPORTED, false},
		{s3(501, "NotImplemented"), domain.EUNSUPPORTED, false},
		{admin(503, "ServiceUnavailable"), domain.EUNAVAILABLE, true},
		{admin(500, "InternalError"), domain.EUNAVAILABLE, true},
		{admin(400, "InvalidArgument"), domain.EREMOTE, false},
		{fmt.Errorf("rgw admin: x: %w", syscall.ECONNREFUSED), domain.EUNAVAILABLE, true},
		{fmt.Errorf("rgw admin: x: %w", context.DeadlineExceeded), domain.ETIMEOUT, true},
		{errors.New("Bucket name cannot be shorter than 3 characters"), domain.EINVALIDNAME, false},
		{errors.New("rgwadmin: x: decode answer: bad"), domain.EREMOTE, false},
	} {
		err := translate(tc.err, "do the thing")
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != tc.code || de.Retryable != tc.retryable ||
			!strings.HasPrefix(de.Message, "do the thing") || strings.Contains(de.Message, "MinIO") {
			t.Errorf("translate(%v) = %#v, want %s retryable %t", tc.err, err, tc.code, tc.retryable)
			continue
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("translate(%v) lost its cause", tc.err)
		}
	}
	if translate(nil, "x") != nil {
		t.Fatal("translate(nil) is not nil")
	}
	already := domain.Errorf(domain.ELIMIT, "as it was")
	if translate(already, "x") != error(already) {
		t.Fatal("a domain error is changed")
	}
}
