package rgwadmin

import (
	"testing"
)

// keyWorks reports whether S3 accepts the key pair, by listing buckets.
func keyWorks(t *testing.T, accessKey, secretKey string) string {
	t.Helper()
	_, err := s3For(t, accessKey, secretKey).ListBuckets(testCtx(t))
	return s3Code(err)
}

func TestKeys(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	u := mustCreateUser(t, c, "")

	// A second key, usable at once; putting it again changes nothing.
	ak2, sk2 := unique("AK"), unique("second-")
	for range 2 {
		if err := c.PutKey(ctx, u.UID, ak2, sk2); err != nil {
			t.Fatal(err)
		}
	}
	info, err := c.UserInfo(ctx, u.UID)
	if err != nil || len(info.Keys) != 2 {
		t.Fatalf("keys after PutKey: %v, %v", info.Keys, err)
	}
	if code := keyWorks(t, ak2, sk2); code != "" {
		t.Fatalf("second key: %s", code)
	}

	// A new secret for the same access key replaces the old one.
	sk2b := unique("rotated-")
	if err := c.PutKey(ctx, u.UID, ak2, sk2b); err != nil {
		t.Fatal(err)
	}
	if code := keyWorks(t, ak2, sk2); code != "SignatureDoesNotMatch" {
		t.Fatalf("old secret after rotation: %q", code)
	}
	if code := keyWorks(t, ak2, sk2b); code != "" {
		t.Fatalf("new secret: %s", code)
	}

	// Removed, the key is refused; removing it again is not an error.
	for range 2 {
		if err := c.RemoveKey(ctx, u.UID, ak2); err != nil {
			t.Fatal(err)
		}
	}
	if code := keyWorks(t, ak2, sk2b); code != "InvalidAccessKeyId" {
		t.Fatalf("removed key: %q", code)
	}
	if code := keyWorks(t, u.AccessKey, u.SecretKey); code != "" {
		t.Fatalf("first key after removing the second: %s", code)
	}
}

// RGW, given a uid it cannot find, falls back to the access key's owner:
// PutKey and RemoveKey must never reach another user's key that way, nor
// through a uid that exists.
func TestKeyCallsNeverTouchAnotherUser(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	alice := mustCreateUser(t, c, "")
	bob := mustCreateUser(t, c, "")
	ghost := unique("t") + "$" + unique("ghost")

	if err := c.PutKey(ctx, ghost, alice.AccessKey, "stolen-secret"); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("PutKey for a missing uid with alice's access key: %v", err)
	}
	if err := c.PutKey(ctx, bob.UID, alice.AccessKey, "stolen-secret"); ErrorCodeOf(err) != CodeKeyExists {
		t.Fatalf("PutKey for bob with alice's access key: %v", err)
	}
	if err := c.RemoveKey(ctx, ghost, alice.AccessKey); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("RemoveKey for a missing uid with alice's access key: %v", err)
	}
	if err := c.RemoveKey(ctx, bob.UID, alice.AccessKey); err != nil {
		t.Fatalf("RemoveKey for bob of alice's key: %v", err)
	}
	if code := keyWorks(t, alice.AccessKey, alice.SecretKey); code != "" {
		t.Fatalf("alice's key after the attempts: %s", code)
	}
	if _, err := c.UserInfo(ctx, ghost); ErrorCodeOf(err) != CodeNoSuchUser {
		t.Fatalf("ghost user created: %v", err)
	}
}

func TestKeyCallsRefuseBadInput(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"PutKey no uid":        c.PutKey(ctx, "", "AK", "SK"),
		"PutKey no access key": c.PutKey(ctx, "t$u", "", "SK"),
		"PutKey no secret":     c.PutKey(ctx, "t$u", "AK", ""),
		"RemoveKey no uid":     c.RemoveKey(ctx, "", "AK"),
		"RemoveKey no key":     c.RemoveKey(ctx, "t$u", ""),
	} {
		if err == nil || ErrorCodeOf(err) != "" {
			t.Errorf("%s: %v, want a refusal before any call", name, err)
		}
	}
}
