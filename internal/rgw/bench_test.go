package rgw

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkMeasureAll reads the sizes of every account of the server (one
// GET /admin/bucket?stats) at 100 and 1,000 accounts, each with its
// default bucket holding one object, through the adapter: the call and
// the sorting by account. It also times Measure of one account (a
// Recalculate button) and Terminate's listing of every bucket name.
//
//	go test -run XXX -bench MeasureAll -benchtime 5x ./internal/rgw
func BenchmarkMeasureAll(b *testing.B) {
	g := newGateway(b)
	ctx := context.Background()
	var accounts []Account
	for _, n := range []int{100, 1000} {
		for len(accounts) < n {
			a := newAccount()
			p, err := g.Provision(ctx, a, ProvisionReq{Secret: secret(), DefaultBucket: "data"})
			if err != nil {
				b.Fatal(err)
			}
			if err := putObject(ctx, mc(b, a.User, p.Secret), "data", "obj", 10); err != nil {
				b.Fatal(err)
			}
			accounts = append(accounts, a)
		}
		b.Run(fmt.Sprintf("all/accounts=%d", n), func(b *testing.B) {
			var got int
			for b.Loop() {
				u, err := g.MeasureAll(ctx)
				if err != nil {
					b.Fatal(err)
				}
				got = len(u.Accounts)
			}
			if got < n {
				b.Fatalf("measured %d accounts, want at least %d", got, n)
			}
			b.ReportMetric(float64(got), "accounts")
		})
		b.Run(fmt.Sprintf("one/accounts=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := g.Measure(ctx, accounts[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("names/accounts=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := g.admin.BucketNames(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// The accounts stay: each is in a tenant of its own, and the cluster
	// goes when the package's run ends.
}
