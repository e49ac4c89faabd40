package minioadmin

// MinIO error codes only the tests look for.
const (
	CodeBadJSON         = "XMinioAdminConfigBadJSON"   // 400: bad body, also a body that failed to decrypt
	CodePolicyInUse     = "XMinioIAMPolicyInUse"       // 400: the policy is still attached
	CodeVersionMismatch = "XMinioAdminVersionMismatch" // 426: the server lacks this route
)

// EncryptData seals data the way MinIO expects an encrypted admin request
// body, keyed by secret, under a fresh salt, with the default envelope.
// The Client caches its key instead (sealer); tests use this to make
// envelopes of their own.
func EncryptData(secret string, data []byte) ([]byte, error) {
	k, err := newEnvelopeKey(secret, EnvelopePBKDF2.id())
	if err != nil {
		return nil, err
	}
	return k.seal(data)
}
