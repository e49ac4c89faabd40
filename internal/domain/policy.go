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
// Version and statements, each Allow or Deny, and, unless allowForeign is
// set, every Allow statement naming resources inside the tenant's namespace
// only ("arn:aws:s3:::<USER_ID>", "arn:aws:s3:::<USER_ID>/…" and
// "arn:aws:s3:::<USER_ID>-…"), written with the placeholder. The error
// names the first statement that does not. which is "standard" or "limit",
// for messages.
func CheckPolicyTemplate(raw, def, which string, allowForeign bool) error {
	if strings.TrimSpace(raw) == "" {
		raw = def
	}
	var p policyDoc
	dec := json.NewDecoder(strings.NewReader(raw))
	if err := dec.Decode(&p); err != nil {
		return Errorf(EINVALIDPOL, "the %s policy is not valid JSON: %s", which, Printable(err.Error()))
	}
	if dec.More() {
		return Errorf(EINVALIDPOL, "the %s policy has text after its JSON object", which)
	}
	if p.Version == "" {
		return Errorf(EINVALIDPOL, "the %s policy needs a \"Version\", such as \"2012-10-17\"", which)
	}
	if len(p.Statement) == 0 {
		return Errorf(EINVALIDPOL, "the %s policy has no \"Statement\"", which)
	}
	for i, rawSt := range p.Statement {
		var st policyStatement
		if err := json.Unmarshal(rawSt, &st); err != nil {
			return Errorf(EINVALIDPOL, "statement %d of the %s policy is not a JSON object", i+1, which)
		}
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return Errorf(EINVALIDPOL, "statement %d of the %s policy needs \"Effect\": \"Allow\" or \"Deny\"", i+1, which)
		}
		if st.Effect == "Deny" || allowForeign {
			continue
		}
		label := statementLabel(i, st.Sid)
		if len(st.NotResource) > 0 {
			return Errorf(EINVALIDPOL, "%s of the %s policy allows by NotResource, which reaches other tenants' buckets", label, which)
		}
		res, err := stringOrList(st.Resource)
		if err != nil || len(res) == 0 {
			return Errorf(EINVALIDPOL, "%s of the %s policy allows without a Resource list, which reaches the whole server", label, which)
		}
		for _, r := range res {
			if !resourceInNamespace(r, UserPlaceholder) {
				return Errorf(EINVALIDPOL, "%s of the %s policy allows %q, outside the tenant's buckets (use \"arn:aws:s3:::%s\", \"arn:aws:s3:::%s/*\" and \"arn:aws:s3:::%s-*\")",
					label, which, Printable(r), UserPlaceholder, UserPlaceholder, UserPlaceholder)
			}
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
