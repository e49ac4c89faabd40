package rgw

import (
	"context"
	"encoding/json"

	"github.com/puqminios3/puqminio/internal/domain"
)

// What a tenant's own key can make on RGW beyond objects, and what stops
// it, measured on 16.2.15 (TestGuards):
//
// A user's inline policy (IAM PutUserPolicy, written by the admin) binds
// the user on its own buckets: a Deny there refused the owner's
// PutBucketPolicy, PutBucketAcl, PutObjectAcl, PutObjectLockConfiguration,
// PutObjectRetention and PutObjectLegalHold, and a PutObject carrying a
// public canned ACL (s3:x-amz-acl) or an ACL grant header
// (s3:x-amz-grant-*), while DeleteBucketPolicy, which Suspend needs, stays
// allowed. The tenant cannot change or remove its own policies (IAM calls
// without the user-policy cap are AccessDenied).
//
// **RGW drops a user's inline policies whenever Admin Ops changes the
// user**: suspend, unsuspend, a quota, a key, a subuser, the display name
// or the bucket limit (each measured on 16.2.15; a stats sync does not).
// So the guards are written after the last change of every action that
// makes one: Provision does it itself; after Unsuspend, SetQuota and
// ChangeSecret the caller calls SetGuards (the account package does, as
// it knows the product). A suspended user holds none, and needs none:
// RGW refuses its requests. Between RGW's change and SetGuards the user
// works unguarded for the time of one admin request.
//
// What no user policy stops on pacific: an ACL given when the bucket is
// made (CreateBucket with x-amz-acl or x-amz-grant-*; RGW fills no
// condition keys there), by CopyObject or at the start of a multipart
// upload; object lock enabled when the bucket is made, and retention sent
// as PutObject headers into such a bucket; bucket
// notifications (a Deny of s3:PutBucketNotification was ignored) and SNS
// topics (RGW refuses a policy naming sns: actions as malformed). Those
// are left to suspend (which cuts ACL access), the quota, terminate (whose
// purge ignores retention and which removes topics) and the gateway's
// configuration (docs/ceph-notes.md).

// guardPolicy is the name of the inline policy that holds the guards.
const guardPolicy = "puqminio-guards"

// Allowed is what a product permits its tenants beyond objects on RGW
// (the product's permissions). RGW has no client area, so a tenant's own
// S3 tools are the only way to use what is allowed.
type Allowed struct {
	// Public lets the tenant open its buckets to others itself: bucket
	// policies and ACLs (domain.PermPublic).
	Public bool
	// ObjectLock lets the tenant turn on object lock and set retention and
	// legal holds (domain.PermObjectLock).
	ObjectLock bool
}

// statement is one statement of an IAM policy document.
type statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// guardDocument is the guard policy for what al does not permit; "" when
// it permits everything the guards cover.
func guardDocument(al Allowed) string {
	all := []string{"*"}
	var st []statement
	if !al.Public {
		st = append(st, statement{Sid: "PuqMinIOS3NoPublic", Effect: "Deny", Resource: all,
			Action: []string{"s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"}})
		st = append(st, statement{Sid: "PuqMinIOS3NoPublicCannedACL", Effect: "Deny", Resource: all, Action: []string{"s3:PutObject"},
			Condition: map[string]map[string]any{"StringEquals": {"s3:x-amz-acl": []string{"public-read", "public-read-write", "authenticated-read"}}}})
		// One statement per header: RGW joins the keys of one condition
		// with AND.
		for _, h := range [][2]string{{"read", "Read"}, {"read-acp", "ReadAcp"}, {"write-acp", "WriteAcp"}, {"full-control", "FullControl"}} {
			st = append(st, statement{Sid: "PuqMinIOS3NoGrant" + h[1], Effect: "Deny", Resource: all, Action: []string{"s3:PutObject"},
				Condition: map[string]map[string]any{"StringLike": {"s3:x-amz-grant-" + h[0]: "*"}}})
		}
	}
	if !al.ObjectLock {
		st = append(st, statement{Sid: "PuqMinIOS3NoObjectLock", Effect: "Deny", Resource: all,
			Action: []string{"s3:PutBucketObjectLockConfiguration", "s3:PutObjectRetention", "s3:PutObjectLegalHold"}})
	}
	if len(st) == 0 {
		return ""
	}
	b, err := json.Marshal(struct {
		Version   string      `json:"Version"`
		Statement []statement `json:"Statement"`
	}{"2012-10-17", st})
	if err != nil {
		panic("rgw: guard policy: " + err.Error()) // plain strings only: cannot fail
	}
	return string(b)
}

// SetGuards writes the guard policy of the account's user for what al
// permits, replacing the one it holds, or removes it when al permits
// everything the guards cover. Without al.Public it also takes off the
// bucket policies the tenant put while the product allowed them (the
// guard first, so no new one comes), giving each to keep first as Suspend
// does, and returns them. ACLs made public meanwhile stay: they are the
// objects' own, and suspend cuts them. Run twice, it does the same thing.
func (g *Gateway) SetGuards(ctx context.Context, a Account, al Allowed, keep func(domain.WithheldPolicy) error) ([]domain.WithheldPolicy, error) {
	if err := g.naming.check(a); err != nil {
		return nil, err
	}
	uid := g.naming.UID(a)
	if err := g.setGuards(ctx, uid, al); err != nil {
		return nil, err
	}
	if al.Public {
		return nil, nil
	}
	u, err := g.user(ctx, a)
	if err != nil {
		return nil, err
	}
	if u.Suspended {
		// Suspend took them off, and the user's key cannot act now;
		// Unsuspend is told what to put back.
		return nil, nil
	}
	buckets, err := g.buckets(ctx, uid)
	if err != nil || len(withPolicy(buckets)) == 0 {
		return nil, err
	}
	return g.withdraw(ctx, a, u, buckets, domain.WithheldProduct, keep)
}

// setGuards is SetGuards for uid.
func (g *Gateway) setGuards(ctx context.Context, uid string, al Allowed) error {
	doc := guardDocument(al)
	var err error
	if doc == "" {
		err = g.admin.DeleteUserPolicy(ctx, uid, guardPolicy)
	} else {
		err = g.admin.PutUserPolicy(ctx, uid, guardPolicy, doc)
	}
	return translate(err, "set the guards of user "+uid)
}
