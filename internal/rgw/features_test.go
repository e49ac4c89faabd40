package rgw

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// tenantCall sends one request signed with the tenant's key, the body's
// hash and MD5 included, and returns the status and S3 error code. sts
// signs for the STS service.
func tenantCall(t *testing.T, access, secretKey, method, path, query, body string, sts bool) (int, string) {
	t.Helper()
	u := "http://" + srv.Endpoint + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(testCtx(t), method, u, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if body != "" {
		m := md5.Sum([]byte(body))
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
	}
	if method == http.MethodPost && path == "/" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if sts {
		req = signer.SignV4STS(*req, access, secretKey, "us-east-1")
	} else {
		req = signer.SignV4(*req, access, secretKey, "", "us-east-1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorCode(b)
}

// What RGW pacific offers a tenant over S3, STS, IAM and SNS with its own
// key, as docs/ceph-notes.md lists it. A newer release that changes one
// of these fails here, and the notes (and what the module governs) need
// another look.
func TestWhatATenantCanDo(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := testCtx(t)
	a, p := provisioned(t, g, ProvisionReq{})
	call := func(method, path, query, body string) (int, string) {
		return tenantCall(t, a.User, p.Secret, method, path, query, body, false)
	}
	form := func(sts bool, v url.Values) (int, string) {
		return tenantCall(t, a.User, p.Secret, http.MethodPost, "/", "", v.Encode(), sts)
	}
	for _, tc := range []struct {
		what   string
		status int
		code   string
		do     func() (int, string)
	}{
		{"versioning", 200, "", func() (int, string) {
			return call("PUT", "/data", "versioning", `<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
		}},
		{"lifecycle rules", 200, "", func() (int, string) {
			return call("PUT", "/data", "lifecycle", `<LifecycleConfiguration><Rule><ID>x</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`)
		}},
		{"CORS", 200, "", func() (int, string) {
			return call("PUT", "/data", "cors", `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`)
		}},
		{"bucket tagging", 200, "", func() (int, string) {
			return call("PUT", "/data", "tagging", `<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>`)
		}},
		{"requester pays", 200, "", func() (int, string) {
			return call("PUT", "/data", "requestPayment", `<RequestPaymentConfiguration><Payer>Requester</Payer></RequestPaymentConfiguration>`)
		}},
		{"object lock on an existing bucket", 409, "InvalidBucketState", func() (int, string) {
			return call("PUT", "/data", "object-lock", `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`)
		}},
		{"static website", 405, "MethodNotAllowed", func() (int, string) {
			return call("PUT", "/data", "website", `<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument></WebsiteConfiguration>`)
		}},
		{"default encryption (SSE-S3)", 400, "InvalidArgument", func() (int, string) {
			return call("PUT", "/data", "encryption", `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`)
		}},
		{"replication", 405, "MethodNotAllowed", func() (int, string) {
			return call("PUT", "/data", "replication", `<ReplicationConfiguration><Role>x</Role><Rule><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::x</Bucket></Destination></Rule></ReplicationConfiguration>`)
		}},
		{"bucket logging", 405, "MethodNotAllowed", func() (int, string) {
			return call("PUT", "/data", "logging", `<BucketLoggingStatus></BucketLoggingStatus>`)
		}},
		{"STS GetSessionToken", 403, "AccessDenied", func() (int, string) {
			return form(true, url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}})
		}},
		{"STS AssumeRole (no role exists)", 404, "NoSuchEntity", func() (int, string) {
			return form(true, url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam:::role/x"}, "RoleSessionName": {"s"}})
		}},
		{"IAM CreateRole", 403, "AccessDenied", func() (int, string) {
			return form(false, url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"r"},
				"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/u"]},"Action":["sts:AssumeRole"]}]}`}})
		}},
		{"IAM CreateAccessKey", 405, "MethodNotAllowed", func() (int, string) {
			return form(false, url.Values{"Action": {"CreateAccessKey"}, "Version": {"2010-05-08"}})
		}},
		{"IAM CreateUser", 405, "MethodNotAllowed", func() (int, string) {
			return form(false, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"other"}})
		}},
		{"IAM PutUserPolicy on itself", 403, "AccessDenied", func() (int, string) {
			return form(false, url.Values{"Action": {"PutUserPolicy"}, "Version": {"2010-05-08"}, "UserName": {a.User}, "PolicyName": {"p"},
				"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}})
		}},
		{"SNS CreateTopic", 200, "", func() (int, string) {
			return form(false, url.Values{"Action": {"CreateTopic"}, "Version": {"2010-03-31"}, "Name": {"t"}})
		}},
	} {
		status, code := tc.do()
		if status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.what, status, code, tc.status, tc.code)
		}
	}

	// Requester pays (set above on "data") refuses anonymous requests,
	// whatever the bucket policy says.
	if err := mc(t, a.User, p.Secret).SetBucketPolicy(ctx, "data", publicPolicy()); err != nil {
		t.Fatal(err)
	}
	if err := putObject(ctx, mc(t, a.User, p.Secret), "data", "o", 1); err != nil {
		t.Fatal(err)
	}
	if status, code := anonymous(t, http.MethodGet, "/"+g.naming.Tenant(a)+":data/o", ""); status != 403 {
		t.Errorf("anonymous read of a requester-pays bucket with a public policy: %d %s, want 403", status, code)
	}
	if status, code := call("PUT", "/data", "requestPayment", `<RequestPaymentConfiguration><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`); status != 200 {
		t.Fatalf("requester pays off: %d %s", status, code)
	}
	if status, code := anonymous(t, http.MethodGet, "/"+g.naming.Tenant(a)+":data/o", ""); status != 200 {
		t.Errorf("the same read with requester pays off: %d %s, want 200", status, code)
	}

	// Object lock, made with a bucket: COMPLIANCE retention and legal holds
	// bind the tenant itself.
	c := mc(t, a.User, p.Secret)
	if err := c.MakeBucket(ctx, "locked", minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	info, err := c.PutObject(ctx, "locked", "o", bytes.NewReader([]byte("x")), 1,
		minio.PutObjectOptions{Mode: minio.Compliance, RetainUntilDate: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveObject(ctx, "locked", "o", minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true}); s3Code(err) != "AccessDenied" {
		t.Errorf("deleting a version under COMPLIANCE retention: %v", err)
	}

	// Public access block: stored, and IgnorePublicAcls cuts public ACLs,
	// but RestrictPublicBuckets does not cut a public bucket policy. (A
	// bucket of its own: "data" now makes requesters pay, which refuses
	// anonymous requests.)
	if err := c.MakeBucket(ctx, "open", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"by-policy", "by-acl"} {
		if err := putObject(ctx, c, "open", key, 3); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetBucketPolicy(ctx, "open", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::open/by-policy"]}]}`); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+srv.Endpoint+"/open/by-acl?acl", nil)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	req.Header.Set("x-amz-acl", "public-read")
	req = signer.SignV4(*req, a.User, p.Secret, "", "us-east-1")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("public-read ACL: %v", err)
	}
	open := "/" + g.naming.Tenant(a) + ":open"
	for _, key := range []string{"by-policy", "by-acl"} {
		if status, code := anonymous(t, http.MethodGet, open+"/"+key, ""); status != 200 {
			t.Fatalf("anonymous read of %s before the block: %d %s", key, status, code)
		}
	}
	block := `<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>`
	if status, code := call("PUT", "/open", "publicAccessBlock", block); status != 200 {
		t.Fatalf("PutPublicAccessBlock: %d %s", status, code)
	}
	if status, code := anonymous(t, http.MethodGet, open+"/by-policy", ""); status != 200 {
		t.Errorf("anonymous read through a bucket policy under RestrictPublicBuckets: %d %s, want 200 (not enforced)", status, code)
	}
	if status, _ := anonymous(t, http.MethodGet, open+"/by-acl", ""); status != 403 {
		t.Errorf("anonymous read through a public-read ACL under IgnorePublicAcls: %d, want 403", status)
	}
}
