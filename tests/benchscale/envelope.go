package main

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/minio/minio-go/v7/pkg/signer"
	"github.com/secure-io/sio-go"
)

// MinIO's encrypted admin bodies (docs: shared/reference/minio-admin-api.md,
// "Encrypted bodies") are salt | id | nonce | DARE stream. The module's
// client seals with Argon2id (id 0x00/0x01), which costs MinIO a 64 MiB
// Argon2id per request: some 100 ms of CPU, 17 minutes of a 2-core machine
// for the 10,000 add-user calls of the build. MinIO opens id 0x02
// (PBKDF2-HMAC-SHA256, 8192 rounds, AES-256-GCM) from any client, at a few
// milliseconds, so the build seals its add-user bodies with that.
const (
	pbkdf2ID     byte = 0x02
	pbkdf2Rounds      = 8192
	saltLen           = 32
	nonceLen          = 8
)

// pbkdf2Sealer seals bodies under one derived key (one random salt); each
// envelope gets a fresh random nonce. MinIO reads the salt from every
// envelope, so one key serves every request; the build sends far fewer
// than the 2^16 envelopes after which a 64-bit random nonce would risk
// repeating.
type pbkdf2Sealer struct {
	salt   [saltLen]byte
	stream *sio.Stream
}

func newPBKDF2Sealer(secret string) (*pbkdf2Sealer, error) {
	s := &pbkdf2Sealer{}
	if _, err := rand.Read(s.salt[:]); err != nil {
		return nil, err
	}
	key, err := pbkdf2.Key(sha256.New, secret, s.salt[:], pbkdf2Rounds, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s.stream = sio.NewStream(aead, sio.BufSize)
	return s, nil
}

// seal returns plain in one envelope.
func (s *pbkdf2Sealer) seal(plain []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Write(s.salt[:])
	out.WriteByte(pbkdf2ID)
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	out.Write(nonce[:])
	w := s.stream.EncryptWriter(&out, nonce[:], nil)
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// userAdder creates MinIO users with PBKDF2-sealed add-user calls.
// internal/minioadmin has no way to choose the envelope, and the module
// itself has no reason to: it adds one user per process.
type userAdder struct {
	srv    serverInfo
	http   *http.Client
	sealer *pbkdf2Sealer
}

func newUserAdder(srv serverInfo, hc *http.Client) (*userAdder, error) {
	s, err := newPBKDF2Sealer(srv.SecretKey)
	if err != nil {
		return nil, err
	}
	return &userAdder{srv: srv, http: hc, sealer: s}, nil
}

// add creates user (enabled) with password, or sets the password of an
// existing one, as the module's AddUser does.
func (a *userAdder) add(ctx context.Context, user, password string) error {
	plain, err := json.Marshal(struct {
		SecretKey string `json:"secretKey"`
		Status    string `json:"status"`
	}{password, "enabled"})
	if err != nil {
		return err
	}
	body, err := a.sealer.seal(plain)
	if err != nil {
		return err
	}
	u := "http://" + a.srv.Endpoint + "/minio/admin/v3/add-user?" + url.Values{"accessKey": {user}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body))
	sum := sha256.Sum256(body)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	req = signer.SignV4(*req, a.srv.AccessKey, a.srv.SecretKey, "", "")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("add-user %s: %w", user, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("add-user %s: HTTP %d: %s", user, resp.StatusCode, msg)
	}
	return nil
}
