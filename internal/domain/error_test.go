package domain

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
)

func TestUnansweredSaysWhatHappened(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "s3.invalid"}}
	for _, tc := range []struct {
		err        error
		code, says string
	}{
		{fmt.Errorf("minio admin: add-user: %w", context.DeadlineExceeded), ETIMEOUT, "did not answer before the call's deadline"},
		{context.Canceled, ETIMEOUT, "was cancelled"},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), EUNAVAILABLE, "refused the connection"},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), EUNAVAILABLE, "closed the connection before answering"},
		{fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF), EUNAVAILABLE, "closed the connection before answering"},
		{dial, EUNAVAILABLE, "cannot reach MinIO (lookup s3.invalid: no such host), so this step was not carried out"},
		{&url.Error{Op: "Get", URL: "http://h/b", Err: errors.New("Connection closed by foreign host http://h/b. Retry again.")}, EUNAVAILABLE, "closed the connection before answering"},
		{&net.OpError{Op: "read", Net: "tcp", Err: errors.New("no buffer space")}, EUNAVAILABLE, "the connection to MinIO failed (no buffer space); whether MinIO carried out this step is unknown"},
	} {
		got, ok := Unanswered(tc.err, "create user 1-2")
		if !ok {
			t.Errorf("%v: not recognised", tc.err)
			continue
		}
		if got.Code != tc.code || !got.Retryable || !strings.HasPrefix(got.Message, "create user 1-2: ") ||
			!strings.Contains(got.Message, tc.says) || !strings.Contains(got.Message, "Retrying is safe") {
			t.Errorf("%v: %+v", tc.err, got)
		}
	}
	for _, err := range []error{nil, errors.New("minio admin: bad JSON")} {
		if _, ok := Unanswered(err, "x"); ok {
			t.Errorf("%v taken for an unanswered call", err)
		}
	}
}

func TestFromTransport(t *testing.T) {
	own := Errorf(ECONFLICT, "taken")
	if got, ok := FromTransport(fmt.Errorf("wrapped: %w", own), "x"); !ok || got.Error() != "wrapped: "+own.Error() {
		t.Fatalf("a domain error changed: %v %v", got, ok)
	}
	got, ok := FromTransport(&url.Error{Op: "Get", URL: "https://h", Err: x509.UnknownAuthorityError{}}, "read user u")
	if !ok || ErrorCode(got) != ETLS || IsRetryable(got) || !strings.HasPrefix(ErrorMessage(got), "read user u: the server's TLS certificate is not trusted") {
		t.Fatalf("untrusted certificate: %v %v", got, ok)
	}
	if got, ok := FromTransport(context.DeadlineExceeded, "x"); !ok || ErrorCode(got) != ETIMEOUT {
		t.Fatalf("deadline: %v %v", got, ok)
	}
	if got, ok := FromTransport(errors.New("XMinioSomething"), "x"); ok || got != nil {
		t.Fatalf("an API error was claimed: %v", got)
	}
}
