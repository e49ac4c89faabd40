package minioadmin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
)

func TestEnvelopeRoundTripAllAlgorithms(t *testing.T) {
	const secret = "root-secret-key"
	// 40000 bytes spans three 16 KiB sio fragments, so the final-fragment
	// flag and sequence numbers are exercised, not just one block.
	big := bytes.Repeat([]byte("0123456789"), 4000)
	for _, id := range []byte{algArgon2AESGCM, algArgon2ChaCha20, algPBKDF2AESGCM} {
		for _, data := range [][]byte{nil, []byte(`{"secretKey":"x"}`), big} {
			k, err := newEnvelopeKey(secret, id)
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := k.seal(data)
			if err != nil {
				t.Fatal(err)
			}
			if sealed[saltLen] != id {
				t.Fatalf("id byte = %#x, want %#x", sealed[saltLen], id)
			}
			got, err := DecryptData(secret, sealed)
			if err != nil {
				t.Fatalf("id %#x, %d bytes: %v", id, len(data), err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("id %#x: round trip changed the data", id)
			}
		}
	}
}

func TestEncryptDataRoundTrip(t *testing.T) {
	data := []byte(`{"secretKey":"s3cr3t-value","status":"enabled"}`)
	sealed, err := EncryptData("k1-secret", data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cr3t-value")) {
		t.Fatal("ciphertext contains the plaintext")
	}
	if id := sealed[saltLen]; id != algPBKDF2AESGCM {
		t.Fatalf("EncryptData used id %#x, want PBKDF2's %#x", id, algPBKDF2AESGCM)
	}
	got, err := DecryptData("k1-secret", sealed)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("DecryptData = %q, %v", got, err)
	}
}

func TestDecryptDataRejects(t *testing.T) {
	sealed, err := EncryptData("right-secret", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	unknownID := bytes.Clone(sealed)
	unknownID[saltLen] = 0x7f
	cases := map[string]struct {
		secret string
		data   []byte
	}{
		"wrong secret": {"wrong-secret", sealed},
		"tampered":     {"right-secret", tampered},
		"truncated":    {"right-secret", sealed[:len(sealed)-3]},
		"too short":    {"right-secret", sealed[:headerLen-1]},
		"unknown id":   {"right-secret", unknownID},
	}
	for name, tc := range cases {
		if _, err := DecryptData(tc.secret, tc.data); err != errDecrypt {
			t.Errorf("%s: err = %v, want errDecrypt", name, err)
		}
	}
}

// The Client's key is derived once: every envelope carries the same salt
// and a different nonce, until the per-key message budget renews it.
func TestSealerCachesKeyAndRenews(t *testing.T) {
	s := &sealer{secret: "cached-secret"}
	a, err := s.seal([]byte("one"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.seal([]byte("two"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a[:saltLen], b[:saltLen]) {
		t.Fatal("salt changed between messages: key was derived twice")
	}
	if bytes.Equal(a[saltLen+1:headerLen], b[saltLen+1:headerLen]) {
		t.Fatal("nonce repeated between messages")
	}
	for _, env := range [][]byte{a, b} {
		if _, err := DecryptData("cached-secret", env); err != nil {
			t.Fatal(err)
		}
	}
	s.used = maxMessagesPerKey
	c, err := s.seal([]byte("three"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[:saltLen], c[:saltLen]) {
		t.Fatal("key not renewed after maxMessagesPerKey messages")
	}
}

// The real server must accept bodies sealed with each id we can produce,
// including PBKDF2 (0x02), which only FIPS builds of MinIO send.
func TestServerAcceptsEveryAlgorithm(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	for _, id := range []byte{algArgon2AESGCM, algArgon2ChaCha20, algPBKDF2AESGCM} {
		user, secret := unique("enc"), unique("secret-")
		k, err := newEnvelopeKey(srv.SecretKey, id)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := json.Marshal(map[string]string{"secretKey": secret, "status": "enabled"})
		body, err := k.seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.do(ctx, request{method: http.MethodPut, op: "add-user",
			query: url.Values{"accessKey": {user}}, body: body}); err != nil {
			t.Fatalf("id %#x: add-user: %v", id, err)
		}
		info, err := c.UserInfo(ctx, user)
		if err != nil || !info.Enabled {
			t.Fatalf("id %#x: user-info = %+v, %v", id, info, err)
		}
		if err := c.RemoveUser(ctx, user); err != nil {
			t.Fatal(err)
		}
	}
}

// A body MinIO encrypted (list-users) opens with our DecryptData.
func TestDecryptServerEncryptedBody(t *testing.T) {
	c := newClient(t)
	user, _ := mustAddUser(t, c)
	raw, err := c.do(testCtx(t), request{method: http.MethodGet, op: "list-users"})
	if err != nil {
		t.Fatal(err)
	}
	if json.Valid(raw) {
		t.Fatal("list-users answer is plain JSON; expected an encrypted envelope")
	}
	t.Logf("server envelope uses algorithm id %#x", raw[saltLen])
	plain, err := DecryptData(srv.SecretKey, raw)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatalf("decrypted list-users is not JSON: %v", err)
	}
	if _, ok := m[user]; !ok {
		t.Fatalf("decrypted list-users lacks %s", user)
	}
}

var benchData = []byte(`{"secretKey":"a-typical-secret-key-value","status":"enabled"}`)

func BenchmarkEncryptData(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncryptData("bench-secret", benchData); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptData(b *testing.B) {
	sealed, err := EncryptData("bench-secret", benchData)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptData("bench-secret", sealed); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSealCachedKey is the path a Client's encrypted requests take
// after the first: no key derivation, one AEAD pass.
func BenchmarkSealCachedKey(b *testing.B) {
	s := &sealer{secret: "bench-secret"}
	if _, err := s.seal(benchData); err != nil { // derive outside the loop
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.seal(benchData); err != nil {
			b.Fatal(err)
		}
	}
}

// A Client's encrypted calls share one derived key: a loop of AddUser
// calls pays our side's Argon2id once.
func TestClientDerivesKeyOnce(t *testing.T) {
	c := newClient(t)
	ctx := testCtx(t)
	var first *envelopeKey
	for i := range 3 {
		user := unique("once")
		if err := c.AddUser(ctx, user, "once-secret-key", true); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.RemoveUser(ctx, user) })
		if i == 0 {
			first = c.sealer.key
		}
	}
	if c.sealer.key != first || c.sealer.used != 3 {
		t.Fatalf("key renewed within a loop (used %d)", c.sealer.used)
	}
}
