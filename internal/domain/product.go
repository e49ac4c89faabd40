package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Unit multipliers: the product's disk space is given in binary units, as
// WHMCS's own "MB" columns are (1 MB = 1,048,576 bytes).
var unitBytes = map[string]int64{
	"MB": 1 << 20,
	"GB": 1 << 30,
	"TB": 1 << 40,
	"PB": 1 << 50,
}

// Password display modes for the client area.
const (
	PasswordShow   = "show"   // the secret is printed
	PasswordButton = "button" // the secret is hidden behind a "show" button
	PasswordHide   = "hide"   // the secret is never sent to the page
)

// Usage modes for the daily run.
const (
	UsageScanner = "scanner" // MinIO's scanner figures, one call per server
	UsageExact   = "exact"   // object listings, exact but one request per 1000 objects
)

// Product is a WHMCS product's module settings, as the shim passes them.
// Zero values mean "use the default"; Normalize fills them in.
type Product struct {
	Unit                  string  `json:"unit"`                  // MB, GB, TB or PB
	DiskSpace             float64 `json:"diskSpace"`             // in Unit; 0 is unlimited
	WarnPercent           int     `json:"warnPercent"`           // 1-100, default 90
	WarnTemplate          string  `json:"warnTemplate"`          // WHMCS email template name
	LimitTemplate         string  `json:"limitTemplate"`         // WHMCS email template name
	Group                 string  `json:"group"`                 // MinIO group, optional
	Policy                string  `json:"policy"`                // raw standard policy with <USER_ID>
	LimitPolicy           string  `json:"limitPolicy"`           // raw disk-limit policy with <USER_ID>
	AllowForeignResources bool    `json:"allowForeignResources"` // accept policies reaching outside the tenant
	HistoryDays           int     `json:"historyDays"`           // usage history retention, default 365
	InstructionURL        string  `json:"instructionUrl"`        // http(s) link shown to clients
	DefaultBucket         bool    `json:"defaultBucket"`         // create <user>-<suffix> on create
	BucketSuffix          string  `json:"bucketSuffix"`          // default "data"
	PasswordDisplay       string  `json:"passwordDisplay"`       // show, button or hide
	UsernameRule          string  `json:"usernameRule"`          // default {client_id}-{service_id}
	PasswordRule          string  `json:"passwordRule"`          // length:charset
	PublicEndpoint        string  `json:"publicEndpoint"`        // shown to clients instead of the admin address
	UsageMode             string  `json:"usageMode"`             // scanner or exact
	CheckIntervalMinutes  int     `json:"checkIntervalMinutes"`  // sooner-than-daily re-check, default 60
	Permissions           string  `json:"permissions"`           // what tenants may do beyond the defaults: Perm* words
	SelfService           string  `json:"selfService"`           // client-area limits: "buckets=N keys=N"
	Traffic               bool    `json:"traffic"`               // traffic is measured: shown, reported for billing, warned about
	EgressAllowanceGB     float64 `json:"egressAllowanceGB"`     // monthly egress in GB (2^30 bytes) before the warning; 0 is none
	EgressTemplate        string  `json:"egressTemplate"`        // WHMCS email template sent when egress passes the allowance

	perms  map[string]bool // Permissions, parsed by Normalize
	limits SelfLimits      // SelfService, parsed by Normalize
	notes  []string        // display settings Normalize left out, for the admin
}

// Tenant permissions a product may grant, in product.permissions (words
// separated by spaces or commas). Without them a tenant may not do these
// things: the module adds a Deny for each to the tenant's policies.
const (
	// PermPublic lets the client area publish a bucket (or a prefix) for
	// anonymous reading; suspend and the limit withdraw it, and unsuspend
	// or freed space restore it.
	PermPublic = "public"
	// PermObjectLock lets tenants use object lock and retention. Data under
	// retention cannot be deleted, not by terminate either, until it ends.
	PermObjectLock = "objectlock"
	// PermToolKeys lets tenants make access keys with S3 tools (mc admin
	// user svcacct add) besides the client area.
	PermToolKeys = "toolkeys"
	// PermKeepKeys keeps a tenant's access keys through a password change;
	// without it a password change revokes every credential made before.
	PermKeepKeys = "keepkeys"
)

// permissions lists the known Perm* words, for messages.
var permissions = []string{PermPublic, PermObjectLock, PermToolKeys, PermKeepKeys}

// Allows reports whether the (normalized) product grants permission perm.
func (p *Product) Allows(perm string) bool { return p.perms[perm] }

// DisplayNotes lists the display settings NormalizeForDisplay left out
// because they were invalid (an instruction link that is not http(s), ...):
// the page renders without them and the admin tab says why.
func (p *Product) DisplayNotes() []string { return p.notes }

// Defaults.
const (
	DefaultUnit          = "GB"
	DefaultUsernameRule  = "{client_id}-{service_id}"
	DefaultPasswordRule  = "12:123456789QAZWSXEDCRFVTGBYHNUJMIKqazwsxedcrfvtgbyhnujmikolp"
	DefaultWarnPercent   = 90
	DefaultHistoryDays   = 365
	DefaultBucketSuffix  = "data"
	DefaultCheckInterval = 60
	MaxHistoryDays       = 3660
	// MaxEgressAllowanceGB bounds the monthly egress allowance: a million
	// terabytes, far beyond any month, and well inside int64 bytes.
	MaxEgressAllowanceGB = 1 << 30
	MaxPolicyBytes       = 20 << 10 // MinIO refuses canned policies over 20 KiB
)

// Normalize fills defaults in and checks every setting, the two policy
// templates included, returning an error that names the first bad one.
// Every action checks its product with it once, before anything is
// touched; what it accepted then renders for any valid user name.
func (p *Product) Normalize() error { return p.normalize(false) }

// NormalizeForDisplay is Normalize for the pages: a bad display setting (the
// instruction link, the password display) is left out and noted in
// DisplayNotes instead of refused, so that an admin's typo never costs a
// client the page with their credentials and usage. Every other setting is
// checked as Normalize checks it.
func (p *Product) NormalizeForDisplay() error { return p.normalize(true) }

func (p *Product) normalize(lenient bool) error {
	p.Unit = strings.ToUpper(strings.TrimSpace(p.Unit))
	if p.Unit == "" {
		p.Unit = DefaultUnit
	}
	if _, ok := unitBytes[p.Unit]; !ok {
		return Errorf(EINVALID, "product.unit must be MB, GB, TB or PB, not %q", Printable(p.Unit))
	}
	if p.DiskSpace < 0 || math.IsNaN(p.DiskSpace) || math.IsInf(p.DiskSpace, 0) {
		return Errorf(EINVALID, "product.diskSpace must be 0 (unlimited) or a positive number")
	}
	if p.DiskSpace*float64(unitBytes[p.Unit]) > float64(math.MaxInt64/2) {
		return Errorf(EINVALID, "product.diskSpace is too large")
	}
	if p.WarnPercent == 0 {
		p.WarnPercent = DefaultWarnPercent
	}
	if p.WarnPercent < 1 || p.WarnPercent > 100 {
		return Errorf(EINVALID, "product.warnPercent must be between 1 and 100")
	}
	if p.HistoryDays == 0 {
		p.HistoryDays = DefaultHistoryDays
	}
	if p.HistoryDays < 1 || p.HistoryDays > MaxHistoryDays {
		return Errorf(EINVALID, "product.historyDays must be between 1 and %d", MaxHistoryDays)
	}
	p.notes = nil
	if p.InstructionURL = strings.TrimSpace(p.InstructionURL); p.InstructionURL != "" {
		u, err := url.Parse(p.InstructionURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			if !lenient {
				return Errorf(EINVALID, "product.instructionUrl must be an http:// or https:// address")
			}
			p.notes = append(p.notes, fmt.Sprintf("product.instructionUrl %q is not an http:// or https:// address, so the client area shows no instruction link", Printable(p.InstructionURL)))
			p.InstructionURL = ""
		}
	}
	p.BucketSuffix = strings.TrimSpace(p.BucketSuffix)
	if p.BucketSuffix == "" {
		p.BucketSuffix = DefaultBucketSuffix
	}
	if !bucketPart().MatchString(p.BucketSuffix) {
		return Errorf(EINVALID, "product.bucketSuffix may hold only lowercase letters, digits and inner hyphens")
	}
	switch p.PasswordDisplay {
	case "":
		p.PasswordDisplay = PasswordButton
	case PasswordShow, PasswordButton, PasswordHide:
	default:
		if !lenient {
			return Errorf(EINVALID, "product.passwordDisplay must be show, button or hide")
		}
		p.notes = append(p.notes, fmt.Sprintf("product.passwordDisplay %q is not show, button or hide, so the client area uses %s", Printable(p.PasswordDisplay), PasswordButton))
		p.PasswordDisplay = PasswordButton
	}
	if strings.TrimSpace(p.UsernameRule) == "" {
		p.UsernameRule = DefaultUsernameRule
	}
	if strings.TrimSpace(p.PasswordRule) == "" {
		p.PasswordRule = DefaultPasswordRule
	}
	if _, _, err := ParsePasswordRule(p.PasswordRule); err != nil {
		return err
	}
	switch p.UsageMode {
	case "":
		p.UsageMode = UsageScanner
	case UsageScanner, UsageExact:
	default:
		return Errorf(EINVALID, "product.usageMode must be scanner or exact")
	}
	if p.CheckIntervalMinutes == 0 {
		p.CheckIntervalMinutes = DefaultCheckInterval
	}
	if p.CheckIntervalMinutes < 5 || p.CheckIntervalMinutes > 1440 {
		return Errorf(EINVALID, "product.checkIntervalMinutes must be between 5 and 1440")
	}
	if p.Group = strings.TrimSpace(p.Group); p.Group != "" && !groupName().MatchString(p.Group) {
		return Errorf(EINVALID, "product.group may hold letters, digits and . _ - @ only (at most 64)")
	}
	if err := p.parsePermissions(); err != nil {
		return err
	}
	limits, err := ParseSelfLimits(p.SelfService)
	if err != nil {
		return err
	}
	p.limits, p.SelfService = limits, limits.String()
	if p.EgressAllowanceGB < 0 || math.IsNaN(p.EgressAllowanceGB) || math.IsInf(p.EgressAllowanceGB, 0) || p.EgressAllowanceGB > MaxEgressAllowanceGB {
		return Errorf(EINVALID, "product.egressAllowanceGB must be 0 (none) or a positive number of GB up to %d", MaxEgressAllowanceGB)
	}
	if len(p.Policy) > MaxPolicyBytes {
		return Errorf(EINVALIDPOL, "product.policy is larger than MinIO's 20 KiB limit")
	}
	if len(p.LimitPolicy) > MaxPolicyBytes {
		return Errorf(EINVALIDPOL, "product.limitPolicy is larger than MinIO's 20 KiB limit")
	}
	if err := CheckPolicyTemplate(p.Policy, DefaultPolicy, whichStandard, p.AllowForeignResources); err != nil {
		return Field("product.policy", err)
	}
	if err := CheckPolicyTemplate(p.LimitPolicy, DefaultLimitPolicy, whichLimit, p.AllowForeignResources); err != nil {
		return Field("product.limitPolicy", err)
	}
	return nil
}

// parsePermissions reads Permissions into perms and writes it back in
// canonical form (known words, each once, in a fixed order).
func (p *Product) parsePermissions() error {
	p.perms = map[string]bool{}
	for _, w := range strings.FieldsFunc(p.Permissions, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' }) {
		w = strings.ToLower(w)
		if !slices.Contains(permissions, w) {
			return Errorf(EINVALID, "product.permissions: unknown permission %q; known: %s", Printable(w), strings.Join(permissions, ", "))
		}
		p.perms[w] = true
	}
	var out []string
	for _, w := range permissions {
		if p.perms[w] {
			out = append(out, w)
		}
	}
	p.Permissions = strings.Join(out, " ")
	return nil
}

// guardRevision changes whenever Guards changes, so that documents written
// before are written again.
const guardRevision = "1"

// PolicySignature is a digest of everything the document of state is
// written from but the user name: the raw policy, the permissions and the
// guards. A stored signature that differs means the document is stale.
func (p *Product) PolicySignature(state PolicyState) string {
	raw, def := p.Policy, DefaultPolicy
	if state == PolicyLimited {
		raw, def = p.LimitPolicy, DefaultLimitPolicy
	}
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	h := sha256.New()
	for _, part := range []string{guardRevision, string(state), p.Permissions, raw} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// PolicyDocument renders the product's standard or limit policy for user,
// as the user's own canned policy holds it, with the module's guards
// (Guards) appended. p must be normalized.
func (p *Product) PolicyDocument(state PolicyState, user string) ([]byte, error) {
	field, raw, def, which := "product.policy", p.Policy, DefaultPolicy, whichStandard
	if state == PolicyLimited {
		field, raw, def, which = "product.limitPolicy", p.LimitPolicy, DefaultLimitPolicy, whichLimit
	}
	doc, err := renderPolicy(raw, def, user, which)
	if err == nil {
		doc, err = withGuards(doc, p.Guards(), which)
	}
	return doc, Field(field, err)
}

// Units lists the units a product's disk space may be given in, smallest
// first.
func Units() []string {
	out := make([]string, 0, len(unitBytes))
	for u := range unitBytes {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return unitBytes[out[i]] < unitBytes[out[j]] })
	return out
}

// UnitSize returns the bytes in one unit, and false for an unknown unit.
func UnitSize(unit string) (int64, bool) {
	b, ok := unitBytes[strings.ToUpper(strings.TrimSpace(unit))]
	return b, ok
}

// DefaultProduct is a product with every setting at its default, the
// policies written out: what the module's settings page offers.
func DefaultProduct() Product {
	var p Product
	if err := p.Normalize(); err != nil {
		panic("domain: the default product does not pass its own checks: " + err.Error())
	}
	p.Policy, p.LimitPolicy = DefaultPolicy, DefaultLimitPolicy
	return p
}

// UnitBytes returns the number of bytes in one product unit.
func (p *Product) UnitBytes() int64 { return unitBytes[p.Unit] }

// EgressAllowanceBytes returns the monthly egress allowance in bytes, or 0
// when there is none or the product does not measure traffic.
func (p *Product) EgressAllowanceBytes() int64 {
	if !p.Traffic {
		return 0
	}
	return int64(p.EgressAllowanceGB * (1 << 30))
}

// LimitBytes returns the disk limit in bytes, or 0 for an unlimited product.
func (p *Product) LimitBytes() int64 {
	return int64(p.DiskSpace * float64(unitBytes[p.Unit]))
}
