package minioadmin

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/secure-io/sio-go"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// MinIO encrypts some admin request and response bodies (new passwords,
// service account secrets, user lists) with a key derived from the secret
// key of the credential that signs the request. The envelope is
//
//	salt (32 bytes) | algorithm id (1 byte) | nonce (8 bytes) | sio (DARE) stream
//
// where the id names both the key derivation and the AEAD.
const (
	algArgon2AESGCM   byte = 0x00 // Argon2id -> AES-256-GCM
	algArgon2ChaCha20 byte = 0x01 // Argon2id -> ChaCha20-Poly1305
	algPBKDF2AESGCM   byte = 0x02 // PBKDF2-HMAC-SHA256 -> AES-256-GCM (MinIO FIPS builds)

	saltLen   = 32
	nonceLen  = 8
	headerLen = saltLen + 1 + nonceLen
	keyLen    = 32

	// The parameters MinIO uses; the server derives the same key from the
	// salt we send, so they are part of the protocol, not a tuning choice.
	argon2Time    = 1
	argon2Memory  = 64 * 1024 // KiB, i.e. 64 MiB
	argon2Threads = 4
	pbkdf2Iter    = 8192
)

// errDecrypt is returned for every failure to open an envelope. It carries
// no detail on purpose: which byte failed says nothing useful to a caller
// and error text must never echo key material or plaintext.
var errDecrypt = errors.New("minioadmin: cannot decrypt MinIO response (wrong secret key or corrupt body)")

// envelopeKey is one derived key, ready to seal or open many messages.
type envelopeKey struct {
	salt   [saltLen]byte
	id     byte
	stream *sio.Stream // immutable, so safe for concurrent use
}

// deriveKey runs the key derivation that id names over secret and salt.
// With an Argon2id id it costs 64 MiB and tens of milliseconds.
func deriveKey(secret string, salt []byte, id byte) (*envelopeKey, error) {
	var (
		key  []byte
		aead cipher.AEAD
		err  error
	)
	switch id {
	case algArgon2AESGCM, algArgon2ChaCha20:
		key = argon2.IDKey([]byte(secret), salt, argon2Time, argon2Memory, argon2Threads, keyLen)
	case algPBKDF2AESGCM:
		if key, err = pbkdf2.Key(sha256.New, secret, salt, pbkdf2Iter, keyLen); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("minioadmin: unknown encryption algorithm id %#x", id)
	}
	defer clear(key) // the AEAD keeps its own expanded copy
	if id == algArgon2ChaCha20 {
		aead, err = chacha20poly1305.New(key)
	} else {
		aead, err = newAESGCM(key)
	}
	if err != nil {
		return nil, err
	}
	k := &envelopeKey{id: id, stream: sio.NewStream(aead, sio.BufSize)}
	copy(k.salt[:], salt)
	return k, nil
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// newEnvelopeKey derives a key under a fresh random salt with the algorithm
// this machine runs best.
func newEnvelopeKey(secret string, id byte) (*envelopeKey, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return deriveKey(secret, salt, id)
}

// seal encrypts data into one envelope under a fresh random nonce.
func (k *envelopeKey) seal(data []byte) ([]byte, error) {
	out := bytes.NewBuffer(make([]byte, 0, headerLen+len(data)+int(k.stream.Overhead(int64(len(data))))))
	out.Write(k.salt[:])
	out.WriteByte(k.id)
	var nonce [nonceLen]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	out.Write(nonce[:])
	w := k.stream.EncryptWriter(out, nonce[:], nil)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// DecryptData opens an envelope sealed by MinIO or by a Client, for any
// of the three algorithm ids. Each call derives the key from the envelope's
// own salt, so it pays one Argon2id (or PBKDF2) derivation.
func DecryptData(secret string, data []byte) ([]byte, error) {
	if len(data) < headerLen {
		return nil, errDecrypt
	}
	k, err := deriveKey(secret, data[:saltLen], data[saltLen])
	if err != nil {
		return nil, errDecrypt
	}
	nonce := data[saltLen+1 : headerLen]
	plain, err := io.ReadAll(k.stream.DecryptReader(bytes.NewReader(data[headerLen:]), nonce, nil))
	if err != nil {
		return nil, errDecrypt
	}
	return plain, nil
}

// maxMessagesPerKey bounds how many envelopes one cached key seals. Nonces
// are 64 random bits, so after n messages under one key a repeat has
// probability about n²/2⁶⁵; 2¹⁶ keeps that near 2⁻³³ while a renewal costs
// only one Argon2id per 65536 calls.
const maxMessagesPerKey = 1 << 16

// sealer holds a Client's own cached encryption key. MinIO reads the salt
// from each envelope, so reusing one salt (and therefore one derived key)
// across requests is valid on the wire and saves our side the 64 MiB
// Argon2id per call; the server still derives once per request.
type sealer struct {
	mu     sync.Mutex
	secret string
	id     byte // the algorithm id of the envelopes it seals
	key    *envelopeKey
	used   int
}

// seal encrypts data with the cached key, deriving (or renewing) it first
// when needed. The lock is held during derivation so concurrent first calls
// wait for one derivation rather than each running their own.
func (s *sealer) seal(data []byte) ([]byte, error) {
	s.mu.Lock()
	if s.key == nil || s.used >= maxMessagesPerKey {
		k, err := newEnvelopeKey(s.secret, s.id)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.key, s.used = k, 0
	}
	s.used++
	k := s.key
	s.mu.Unlock()
	return k.seal(data)
}

// Envelope chooses the key derivation of the request bodies a Client
// encrypts. MinIO reads the algorithm id from each envelope and opens all
// three on every build, FIPS or not; its own responses use Argon2id
// (PBKDF2 on FIPS builds) whatever the request used.
type Envelope int

const (
	// EnvelopePBKDF2, the default: PBKDF2-HMAC-SHA256 (8192 rounds) to
	// AES-256-GCM, id 0x02, as MinIO's FIPS builds use. About a
	// millisecond on each side per call, against the 64 MiB Argon2id.
	// The derivation's strength matters only to someone who has captured a
	// request body (inside TLS) and guesses the admin secret key from it.
	EnvelopePBKDF2 Envelope = iota
	// EnvelopeArgon2: Argon2id (64 MiB) to AES-256-GCM or ChaCha20-Poly1305.
	EnvelopeArgon2
)

// id is the algorithm id e's envelopes carry on this machine.
func (e Envelope) id() byte {
	if e == EnvelopeArgon2 {
		return argon2Algorithm()
	}
	return algPBKDF2AESGCM
}

// argon2Algorithm picks AES-GCM where the CPU accelerates it and
// ChaCha20-Poly1305 elsewhere: software AES is slow and harder to keep free
// of timing leaks. Every MinIO server accepts both.
var argon2Algorithm = sync.OnceValue(func() byte {
	if hasAESGCMHardware() {
		return algArgon2AESGCM
	}
	return algArgon2ChaCha20
})

// hasAESGCMHardware reads the CPU flags Linux reports (x86 "aes" and
// "pclmulqdq", arm64 "aes" and "pmull"), because the standard library does
// not expose CPU features. Elsewhere it trusts the architectures on which
// Go ships assembly AES-GCM and where the instructions are near universal.
func hasAESGCMHardware() bool {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			name, value, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			name = strings.TrimSpace(name)
			if name != "flags" && name != "Features" {
				continue
			}
			flags := map[string]bool{}
			for _, fl := range strings.Fields(value) {
				flags[fl] = true
			}
			return flags["aes"] && (flags["pclmulqdq"] || flags["pmull"])
		}
	}
	switch runtime.GOARCH {
	case "amd64", "arm64", "s390x", "ppc64le":
		return true
	}
	return false
}
