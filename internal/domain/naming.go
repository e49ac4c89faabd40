package domain

import (
	"crypto/rand"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// A user name doubles as the prefix of its buckets, so it follows the
// stricter of MinIO's user rules and S3's bucket-name rules: lowercase
// letters, digits and inner hyphens, 3 to MaxUsernameLen characters.
//
// The patterns are compiled on first use, not when the binary starts: most
// requests use none of them, and every run of the binary pays its start.
var (
	userName   = lazyRegexp(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	bucketPart = lazyRegexp(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)
	groupName  = lazyRegexp(`^[A-Za-z0-9._@-]{1,64}$`)
	macro      = lazyRegexp(`\{([a-z_]+?)(?:_(\d+))?\}`)
)

// lazyRegexp compiles pattern on the first call of the returned function.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}

// Name limits. A bucket name is at most 63 characters; the user name leaves
// room for "-" and a short suffix.
const (
	MinUsernameLen = 3
	MaxUsernameLen = 40
	maxPasswordLen = 128
	minPasswordLen = 8
)

// NameContext carries what a username rule's macros expand to.
type NameContext struct {
	ClientID  int64
	ServiceID int64
	Now       time.Time
}

// UsernameRuleIsRandom reports whether rule draws random characters, so that
// a name taken by someone else can be drawn again instead of refused.
func UsernameRuleIsRandom(rule string) bool {
	return strings.Contains(rule, "{random_") || strings.Contains(rule, "{unixtime}") || strings.Contains(rule, "{time}")
}

// RenderUsername expands a username rule's macros and checks the result.
// Uppercase letters are folded to lowercase, since the name is also a bucket
// prefix.
func RenderUsername(rule string, c NameContext) (string, error) {
	if rule == "" {
		rule = DefaultUsernameRule
	}
	if len(rule) > 200 {
		return "", Errorf(EINVALIDNAME, "the username rule is longer than 200 characters")
	}
	var bad error
	out := macro().ReplaceAllStringFunc(rule, func(m string) string {
		sub := macro().FindStringSubmatch(m)
		name, n := sub[1], sub[2]
		switch {
		case name == "client_id" && n == "":
			return strconv.FormatInt(c.ClientID, 10)
		case name == "service_id" && n == "":
			return strconv.FormatInt(c.ServiceID, 10)
		case name == "unixtime" && n == "":
			return strconv.FormatInt(c.Now.Unix(), 10)
		case name == "date" && n == "":
			return c.Now.UTC().Format("2006-01-02")
		case name == "time" && n == "":
			return c.Now.UTC().Format("15-04-05")
		case (name == "random_digit" || name == "random_letter") && n != "":
			k, _ := strconv.Atoi(n)
			if k < 1 || k > MaxUsernameLen {
				bad = Errorf(EINVALIDNAME, "{%s_%s} asks for %d characters; use 1 to %d", name, n, k, MaxUsernameLen)
				return ""
			}
			set := "0123456789"
			if name == "random_letter" {
				set = "abcdefghijklmnopqrstuvwxyz"
			}
			return RandomString(k, set)
		}
		bad = Errorf(EINVALIDNAME, "unknown macro %s in the username rule", m)
		return ""
	})
	if bad != nil {
		return "", bad
	}
	out = strings.ToLower(out)
	if err := ValidateUsername(out); err != nil {
		return "", err
	}
	return out, nil
}

// ValidateUsername checks that name can be a MinIO user and a bucket prefix.
func ValidateUsername(name string) error {
	if !utf8.ValidString(name) || len(name) < MinUsernameLen || len(name) > MaxUsernameLen {
		return Errorf(EINVALIDNAME, "user name %q must be %d to %d characters long", Printable(name), MinUsernameLen, MaxUsernameLen)
	}
	if !userName().MatchString(name) {
		return Errorf(EINVALIDNAME, "user name %q may hold only lowercase letters, digits and inner hyphens", Printable(name))
	}
	if strings.Contains(name, "--") {
		return Errorf(EINVALIDNAME, "user name %q may not hold two hyphens in a row", Printable(name))
	}
	return nil
}

// Printable shortens s and replaces control characters so that it is safe in
// a one-line message.
func Printable(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

// DefaultBucketName is the bucket created for a new account.
func DefaultBucketName(user, suffix string) string {
	return user + "-" + suffix
}

// OwnsBucket reports whether bucket lies in user's namespace: the bucket
// named user itself, or user followed by a hyphen and anything.
func OwnsBucket(user, bucket string) bool {
	return bucket == user || strings.HasPrefix(bucket, user+"-")
}

// NamespacesOverlap reports whether two users could own the same bucket name,
// which is the case when one name equals the other or extends it after a
// hyphen ("12-3" and "12-3-4"). "12-3" and "12-34" do not overlap.
func NamespacesOverlap(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"-") || strings.HasPrefix(b, a+"-")
}

// ParsePasswordRule reads a "length:charset" rule.
func ParsePasswordRule(rule string) (int, string, error) {
	ls, set, ok := strings.Cut(rule, ":")
	n, err := strconv.Atoi(strings.TrimSpace(ls))
	if !ok || err != nil {
		return 0, "", Errorf(EINVALID, "product.passwordRule must be length:characters, for example 16:abcdef123")
	}
	if n < minPasswordLen || n > maxPasswordLen {
		return 0, "", Errorf(EINVALID, "product.passwordRule length must be between %d and %d", minPasswordLen, maxPasswordLen)
	}
	seen := map[rune]bool{}
	var uniq []rune
	for _, r := range set {
		if r <= 0x20 || r >= 0x7f {
			return 0, "", Errorf(EINVALID, "product.passwordRule characters must be printable ASCII without spaces")
		}
		if !seen[r] {
			seen[r] = true
			uniq = append(uniq, r)
		}
	}
	if len(uniq) < 10 {
		return 0, "", Errorf(EINVALID, "product.passwordRule needs at least 10 different characters")
	}
	return n, string(uniq), nil
}

// GeneratePassword draws a password from rule with crypto/rand.
func GeneratePassword(rule string) (string, error) {
	n, set, err := ParsePasswordRule(rule)
	if err != nil {
		return "", err
	}
	return RandomString(n, set), nil
}

// ValidatePassword checks a secret key MinIO will accept.
func ValidatePassword(p string) error {
	if len(p) < minPasswordLen || len(p) > maxPasswordLen {
		return Errorf(EINVALID, "the password must be %d to %d characters long", minPasswordLen, maxPasswordLen)
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return Errorf(EINVALID, "the password may hold printable ASCII characters only")
		}
	}
	return nil
}

// RandomString returns n characters drawn uniformly from set with
// crypto/rand. set must be ASCII.
func RandomString(n int, set string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(set)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = set[k.Int64()]
	}
	return string(b)
}

var existingUser = lazyRegexp(`^[A-Za-z0-9._@=+,-]{3,128}$`)

// ValidateExistingUsername checks the user name of an account that already
// exists, possibly imported from MinIO: looser than ValidateUsername, but
// never empty, never with spaces, slashes or control characters.
func ValidateExistingUsername(name string) error {
	if name == "" {
		return Errorf(EMISSING, "service.username is empty; the account has no MinIO user yet (run Create first)")
	}
	if !existingUser().MatchString(name) {
		return Errorf(EINVALIDNAME, "user name %q is not a valid MinIO user name", Printable(name))
	}
	return nil
}

// HyphenPrefixes returns the names whose namespace holds name's: every
// part of name before one of its hyphens ("12" for "12-34").
func HyphenPrefixes(name string) []string {
	var out []string
	for i := 1; i < len(name); i++ {
		if name[i] == '-' {
			out = append(out, name[:i])
		}
	}
	return out
}

// ExtensionRange returns the byte-order range [lo, hi) that holds every
// name extending name after a hyphen ("12-34-x" for "12-34"): '.' follows
// '-' in ASCII. With HyphenPrefixes and name itself, it gives every name
// NamespacesOverlap matches, as indexed lookups instead of a scan.
func ExtensionRange(name string) (lo, hi string) {
	return name + "-", name + "."
}

// NameClash is a name recorded in the store that could overlap a new
// user's bucket namespace: an account of another service (Kind "account"),
// or a user or bucket the server listed when its names were last taken.
type NameClash struct {
	Kind      string // NameAccount, NameTerminated, NameUser or NameBucket
	Name      string
	ServiceID int64 // for NameAccount
}

// Kinds of NameClash.
const (
	NameAccount    = "account"
	NameTerminated = "terminated" // a name terminate removed that a listing has not yet found free
	NameUser       = "user"
	NameBucket     = "bucket"
)

// NameList describes the last listing of a server's user and bucket names.
type NameList struct {
	TakenAt        time.Time
	Users, Buckets int
}
