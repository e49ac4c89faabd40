package rgwadmin

import (
	"testing"

	"github.com/minio/minio-go/v7"
)

// A user's inline policy: put, read back, replaced, in force on the user's
// own bucket, removed (twice), and refused for a user that does not exist.
func TestUserPolicy(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")
	s3 := u.s3(t)
	if err := s3.MakeBucket(ctx, "bkt", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UserPolicy(ctx, u.UID, "guard"); ErrorCodeOf(err) != CodeNoSuchEntity {
		t.Fatalf("UserPolicy before any: %v", err)
	}
	deny := func(action string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["` + action + `"],"Resource":["*"]}]}`
	}
	for _, doc := range []string{deny("s3:PutBucketVersioning"), deny("s3:PutBucketTagging")} {
		for range 2 {
			if err := c.PutUserPolicy(ctx, u.UID, "guard", doc); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.UserPolicy(ctx, u.UID, "guard")
		if err != nil || got != doc {
			t.Fatalf("UserPolicy = %q, %v; want %q", got, err, doc)
		}
	}
	// Replaced: versioning, denied by the first document, goes on.
	err := s3.EnableVersioning(ctx, "bkt")
	if err != nil {
		t.Fatalf("versioning, not denied any more: %v", err)
	}
	if err := c.PutUserPolicy(ctx, u.UID, "guard", deny("s3:PutBucketVersioning")); err != nil {
		t.Fatal(err)
	}
	if err := s3.SuspendVersioning(ctx, "bkt"); s3Code(err) != "AccessDenied" {
		t.Fatalf("versioning under a Deny: %v", err)
	}
	for range 2 {
		if err := c.DeleteUserPolicy(ctx, u.UID, "guard"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s3.SuspendVersioning(ctx, "bkt"); err != nil {
		t.Fatalf("versioning after the Deny went: %v", err)
	}
	if err := c.PutUserPolicy(ctx, "t$nobody"+unique(""), "guard", deny("s3:PutBucketVersioning")); ErrorCodeOf(err) != CodeNoSuchEntity {
		t.Fatalf("PutUserPolicy for a missing user: %v", err)
	}
	if err := c.PutUserPolicy(ctx, u.UID, "guard", `{"Statement":[`); ErrorCodeOf(err) != "MalformedPolicyDocument" {
		t.Fatalf("a malformed document: %v", err)
	}
}
