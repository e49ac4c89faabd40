package domain

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// UserPlaceholder is replaced by the user name in a product's raw policies.
const UserPlaceholder = "<USER_ID>"

// PolicyPrefix names the canned policy each user owns on MinIO:
// "puqminio-<user>". The prefix keeps our policies apart from the admin's.
const PolicyPrefix = "puqminio-"

// PolicyName returns the name of user's own canned policy.
func PolicyName(user string) string { return PolicyPrefix + user }

// DefaultPolicy is the standard policy: everything S3 allows, but only on
// the buckets "<USER_ID>" and "<USER_ID>-*" and their objects. Unlike the
// reference product's "<USER_ID>*", it does not let user "12-3" into the
// buckets of user "12-34".
const DefaultPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:*"],
      "Resource": [
        "arn:aws:s3:::<USER_ID>",
        "arn:aws:s3:::<USER_ID>/*",
        "arn:aws:s3:::<USER_ID>-*"
      ]
    }
  ]
}`

// DefaultLimitPolicy applies when the disk limit is reached: the tenant can
// still list, read and delete, so it can free space, but cannot write.
const DefaultLimitPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion"
      ],
      "Resource": [
        "arn:aws:s3:::<USER_ID>",
        "arn:aws:s3:::<USER_ID>/*",
        "arn:aws:s3:::<USER_ID>-*"
      ]
    }
  ]
}`

type policyDoc struct {
	Version   string            `json:"Version"`
	Statement []json.RawMessage `json:"Statement"`
}

type policyStatement struct {
	Sid         string          `json:"Sid"`
	Effect      string          `json:"Effect"`
	Action      json.RawMessage `json:"Action"`
	NotAction   json.RawMessage `json:"NotAction"`
	Resource    json.RawMessage `json:"Resource"`
	NotResource json.RawMessage `json:"NotResource"`
}

// Which names one of a product's two policies in messages.
const (
	whichStandard = "standard"
	whichLimit    = "limit"
)

// CheckPolicyTemplate checks a raw policy (def when raw is blank) as a
// template, for every user it may be rendered for: valid JSON with a
// Version and statements, each Allow or Deny; every Allow statement lists
// its actions (no NotAction) and allows s3: actions only, whatever the
// product says: MinIO ignores Resource for admin:, kms: and sts: actions
// (and reads "*" as every STS action), so one such Allow would let every
// tenant act on every user, root included. Unless allowForeign is set,
// every Allow statement also names resources inside the tenant's namespace
// only ("arn:aws:s3:::<USER_ID>", "arn:aws:s3:::<USER_ID>/…" and
// "arn:aws:s3:::<USER_ID>-…"), written with the placeholder. The error
// names the first statement that does not. which is "standard" or "limit",
// for messages.
func CheckPolicyTemplate(raw, def, which string, allowForeign bool) error {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	return checkPolicy(raw, "the "+which+" policy", UserPlaceholder, allowForeign)
}

// GroupUserVariable is how a group's policy names each member: MinIO
// replaces it with the user name of the caller.
const GroupUserVariable = "${aws:username}"

// CheckGroupPolicy checks a policy attached to a product's group (named
// name) as CheckPolicyTemplate checks the product's own: a group applies to
// every tenant in it, so a group that grants admin: actions makes every
// tenant an admin. Its resources must name the member's own buckets
// through ${aws:username}, unless allowForeign is set.
func CheckGroupPolicy(name string, doc []byte, allowForeign bool) error {
	return checkPolicy(string(doc), "the group's policy "+strconv.Quote(name), GroupUserVariable, allowForeign)
}

// checkPolicy checks one policy document; what names it in messages
// ("the standard policy"), user is how its resources name the tenant.
func checkPolicy(raw, what, user string, allowForeign bool) error {
	var p policyDoc
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&p); err != nil {
		return Errorf(EINVALIDPOL, "%s is not valid JSON: %s", what, Printable(err.Error()))
	}
	if dec.More() {
		return Errorf(EINVALIDPOL, "%s has text after its JSON object", what)
	}
	if p.Version == "" {
		return Errorf(EINVALIDPOL, "%s needs a \"Version\", such as \"2012-10-17\"", what)
	}
	if len(p.Statement) == 0 {
		return Errorf(EINVALIDPOL, "%s has no \"Statement\"", what)
	}
	for i, rawSt := range p.Statement {
		var st policyStatement
		if err := json.Unmarshal(rawSt, &st); err != nil {
			return Errorf(EINVALIDPOL, "statement %d of %s is not a JSON object", i+1, what)
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return Errorf(EINVALIDPOL, "statement %d of %s needs \"Effect\": \"Allow\" or \"Deny\"", i+1, what)
		}
		if st.Effect == "Deny" {
			continue
		}
		label := statementLabel(i, st.Sid)
		if err := checkAllowedActions(st, label, what); err != nil {
			return err
		}
		if allowForeign {
			continue
		}
		if len(st.NotResource) > 0 {
			return Errorf(EINVALIDPOL, "%s of %s allows by NotResource, which reaches other tenants' buckets", label, what)
		}
		res, err := stringOrList(st.Resource)
		if err != nil || len(res) == 0 {
			return Errorf(EINVALIDPOL, "%s of %s allows without a Resource list, which reaches the whole server", label, what)
		}
		for _, r := range res {
			if !resourceInNamespace(r, user) {
				return Errorf(EINVALIDPOL, "%s of %s allows %q, outside the tenant's buckets (use \"arn:aws:s3:::%s\", \"arn:aws:s3:::%s/*\" and \"arn:aws:s3:::%s-*\")",
					label, what, Printable(r), user, user, user)
			}
		}
	}
	return nil
}

// checkAllowedActions refuses an Allow statement that grants anything but
// s3: actions.
func checkAllowedActions(st policyStatement, label, what string) error {
	if len(st.NotAction) > 0 {
		return Errorf(EINVALIDPOL, "%s of %s allows by NotAction, which reaches admin and STS actions; list the s3: actions instead", label, what)
	}
	actions, err := stringOrList(st.Action)
	if err != nil || len(actions) == 0 {
		return Errorf(EINVALIDPOL, "%s of %s allows without an Action list", label, what)
	}
	for _, a := range actions {
		if name, ok := strings.CutPrefix(a, "s3:"); !ok || name == "" {
			return Errorf(EINVALIDPOL, "%s of %s allows %q: a tenant's policy may allow s3: actions only (MinIO ignores Resource for admin:, kms: and sts: actions and reads \"*\" as every STS action, so this would reach every user, root included)",
				label, what, Printable(a))
		}
	}
	return nil
}

// renderPolicy replaces the placeholder in a template that
// CheckPolicyTemplate accepted with user and returns the document
// compacted. A long user name can push it past MinIO's size limit.
func renderPolicy(raw, def, user, which string) ([]byte, error) {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(strings.ReplaceAll(raw, UserPlaceholder, user))); err != nil {
		return nil, Errorf(EINVALIDPOL, "the %s policy is not valid JSON", which)
	}
	if out.Len() > MaxPolicyBytes {
		return nil, Errorf(EINVALIDPOL, "the %s policy is larger than MinIO's 20 KiB limit", which)
	}
	return out.Bytes(), nil
}

func statementLabel(i int, sid string) string {
	if sid != "" {
		return "statement " + itoa(i+1) + " (" + Printable(sid) + ")"
	}
	return "statement " + itoa(i+1)
}

func itoa(i int) string { return strconv.Itoa(i) }

func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(raw, &many)
	return many, err
}

// resourceInNamespace reports whether an S3 ARN names only buckets in user's
// namespace (user, user/…, user-…). A wildcard may appear only after that
// prefix. user is the placeholder when a template is checked.
func resourceInNamespace(arn, user string) bool {
	const p = "arn:aws:s3:::"
	if !strings.HasPrefix(arn, p) {
		return false
	}
	r := arn[len(p):]
	return r == user || strings.HasPrefix(r, user+"/") || strings.HasPrefix(r, user+"-")
}

// Guard is a Deny statement the module adds to every policy it writes for
// a tenant, whatever the product's raw policy allows. A Deny wins over any
// Allow in MinIO, so a raw policy of "s3:*" cannot undo it.
type Guard struct {
	Sid    string   `json:"Sid"`
	Effect string   `json:"Effect"`
	Action []string `json:"Action"`
	// Resource is the s3 resources, or nil for admin actions (which take
	// none).
	Resource []string `json:"Resource,omitempty"`
}

// Guards are the Deny statements for what the product does not permit:
//   - writing bucket policies, always: a bucket policy is MinIO's only
//     route for anonymous access, and one granting s3:* hands anonymous
//     callers the bucket's configuration; public read is the module's to
//     set (PermPublic) and to withdraw on suspend and at the limit;
//   - object lock and retention, unless PermObjectLock: locked data stays
//     for the retention's term, terminate or not;
//   - making access keys with S3 tools, unless PermToolKeys: a tenant may
//     otherwise name a key after a future client's user name and so block
//     that client's account.
func (p *Product) Guards() []Guard {
	all := []string{"arn:aws:s3:::*"}
	g := []Guard{{Sid: "PuqMinIOS3NoBucketPolicy", Effect: "Deny", Action: []string{"s3:PutBucketPolicy"}, Resource: all}}
	if !p.Allows(PermObjectLock) {
		g = append(g, Guard{Sid: "PuqMinIOS3NoObjectLock", Effect: "Deny",
			Action: []string{"s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention", "s3:PutObjectLegalHold"}, Resource: all})
	}
	if !p.Allows(PermToolKeys) {
		g = append(g, Guard{Sid: "PuqMinIOS3NoToolKeys", Effect: "Deny", Action: []string{"admin:CreateServiceAccount"}})
	}
	return g
}

// withGuards appends the guard statements to a rendered policy document.
func withGuards(doc []byte, guards []Guard, which string) ([]byte, error) {
	var d map[string]json.RawMessage
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, Errorf(EINVALIDPOL, "the %s policy is not a JSON object", which)
	}
	var st []json.RawMessage
	if err := json.Unmarshal(d["Statement"], &st); err != nil {
		return nil, Errorf(EINVALIDPOL, "the %s policy's Statement is not a list", which)
	}
	for _, g := range guards {
		b, err := json.Marshal(g)
		if err != nil {
			return nil, err
		}
		st = append(st, b)
	}
	var err error
	if d["Statement"], err = json.Marshal(st); err != nil {
		return nil, err
	}
	out, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxPolicyBytes {
		return nil, Errorf(EINVALIDPOL, "the %s policy is larger than MinIO's 20 KiB limit with the module's guard statements", which)
	}
	return out, nil
}
