package main

import (
	"bytes"
	"testing"

	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// TestPBKDF2EnvelopeOpens checks the build's envelope against the module's
// own reader of MinIO envelopes, which follows MinIO's format for all three
// algorithm ids; that MinIO itself accepts it is shown by every build.
func TestPBKDF2EnvelopeOpens(t *testing.T) {
	s, err := newPBKDF2Sealer("bench-secret-key")
	if err != nil {
		t.Fatal(err)
	}
	// Larger than one 16 KiB DARE fragment, so the final-fragment flag of
	// a multi-fragment stream is exercised too.
	plain := bytes.Repeat([]byte(`{"secretKey":"x","status":"enabled"}`), 1000)
	for range 2 {
		env, err := s.seal(plain)
		if err != nil {
			t.Fatal(err)
		}
		if env[saltLen] != pbkdf2ID {
			t.Fatalf("algorithm id %#x, want %#x", env[saltLen], pbkdf2ID)
		}
		got, err := minioadmin.DecryptData("bench-secret-key", env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatal("the envelope opened to other bytes")
		}
		if _, err := minioadmin.DecryptData("another-secret", env); err == nil {
			t.Fatal("the envelope opened with the wrong secret")
		}
	}
}
