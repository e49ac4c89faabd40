package rgw

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// Account is one WHMCS service's account on the gateway: the service's id
// and its user name, which is also the S3 access key WHMCS shows, so a
// tenant's S3 clients are set up as on MinIO.
//
// Each service gets an RGW tenant of its own, named after the service id
// (Naming): its buckets are a namespace no other tenant sees, so two
// services can both have a bucket "backup", and nothing a tenant names can
// clash with another's. The tenant's user is "<tenant>$<user>".
type Account struct {
	Service int64
	User    string
}

// DefaultTenantPrefix starts every tenant name: service 42 is tenant
// "s42", and its user 12-34 is "s42$12-34".
const DefaultTenantPrefix = "s"

// Naming maps accounts to RGW tenants and uids and back. Prefix tells this
// module's tenants from any other on the cluster; two WHMCS installations
// sharing one cluster need different prefixes.
type Naming struct {
	Prefix string
}

// prefixPattern: RGW takes letters, digits and "_" in a tenant name; the
// prefix ends with a letter or "_" so that the service id that follows is
// never read as part of it ("s1" + "23" would be "s" + "123").
var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_]*[A-Za-z_]$`)

// Check refuses a prefix RGW would refuse in a tenant name, or one whose
// tenants could be read two ways.
func (n Naming) Check() error {
	if len(n.Prefix) > 32 || !prefixPattern.MatchString(n.Prefix) {
		return domain.Errorf(domain.EINVALID, "tenant prefix %q must be 1 to 32 letters, digits and _, ending with a letter or _", domain.Printable(n.Prefix))
	}
	return nil
}

// Tenant is the account's RGW tenant.
func (n Naming) Tenant(a Account) string {
	return n.Prefix + strconv.FormatInt(a.Service, 10)
}

// UID is the account's RGW user id.
func (n Naming) UID(a Account) string {
	return n.Tenant(a) + "$" + a.User
}

// Of returns the account an RGW uid belongs to, and false for a uid that
// is not one of this module's: another prefix, no tenant, a service id
// that is not a plain positive number, a user name WHMCS cannot have (a
// subuser's "…:x", Terminate's helper "puqminio~cleanup").
func (n Naming) Of(uid string) (Account, bool) {
	tenant, user, ok := strings.Cut(uid, "$")
	if !ok {
		return Account{}, false
	}
	id, ok := n.serviceOf(tenant)
	if !ok {
		return Account{}, false
	}
	a := Account{Service: id, User: user}
	if n.check(a) != nil {
		return Account{}, false
	}
	return a, true
}

// serviceOf returns the service id of one of this module's tenants.
func (n Naming) serviceOf(tenant string) (int64, bool) {
	digits, ok := strings.CutPrefix(tenant, n.Prefix)
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	return id, err == nil
}

// check refuses an account that cannot be one: no service id, or a user
// name that is not a valid WHMCS user name (which also keeps out "$" and
// ":", RGW's tenant and subuser separators).
func (n Naming) check(a Account) error {
	if a.Service <= 0 {
		return domain.Errorf(domain.EMISSING, "service.id is required")
	}
	return domain.Field("service.username", domain.ValidateExistingUsername(a.User))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
