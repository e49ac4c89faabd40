package minioadmin

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// sentIDs records the algorithm id of every encrypted body a client sends.
type sentIDs struct {
	mu  sync.Mutex
	ids []byte
}

func (s *sentIDs) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.URL.Path == "/minio/admin/v3/add-user" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(body) > saltLen {
			s.mu.Lock()
			s.ids = append(s.ids, body[saltLen])
			s.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// The server make test runs accepts whichever envelope a Client sends: a
// user added (and its password changed) under each works with its secret.
func TestServerAcceptsEveryEnvelope(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  Envelope
		ids  []byte
	}{
		{"pbkdf2 (default)", EnvelopePBKDF2, []byte{algPBKDF2AESGCM}},
		{"argon2", EnvelopeArgon2, []byte{algArgon2AESGCM, algArgon2ChaCha20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &sentIDs{}
			c, err := New(Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Envelope: tc.env, Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			ctx := testCtx(t)
			user, secret := unique("env"), unique("secret-")
			if err := c.AddUser(ctx, user, secret, true); err != nil {
				t.Fatalf("add-user: %v", err)
			}
			defer c.RemoveUser(ctx, user)
			if err := c.ChangeSecret(ctx, user, secret+"-2", true); err != nil {
				t.Fatalf("password change: %v", err)
			}
			s3c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(user, secret+"-2", "")})
			if err != nil {
				t.Fatal(err)
			}
			// The user holds no policy: AccessDenied means its key and
			// secret were accepted; a wrong secret is SignatureDoesNotMatch.
			if _, err := s3c.ListBuckets(ctx); err != nil && minio.ToErrorResponse(err).Code != "AccessDenied" {
				t.Fatalf("the user's secret, sent in a %s envelope, does not work: %v", tc.name, err)
			}
			bad, _ := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(user, secret, "")})
			if _, err := bad.ListBuckets(ctx); minio.ToErrorResponse(err).Code != "SignatureDoesNotMatch" {
				t.Fatalf("the old secret after the change: %v (the check cannot tell)", err)
			}
			if len(rec.ids) != 2 {
				t.Fatalf("saw %d encrypted add-user bodies, want 2", len(rec.ids))
			}
			for _, id := range rec.ids {
				if !bytes.Contains(tc.ids, []byte{id}) {
					t.Fatalf("sent algorithm id %#x, want one of %#x", id, tc.ids)
				}
			}
		})
	}
}
