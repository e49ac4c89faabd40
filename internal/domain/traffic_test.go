package domain

import "testing"

func TestAttributeTraffic(t *testing.T) {
	users := map[string][]int64{
		"12-34": {34}, // tenant A
		"12-35": {35}, // tenant B
		"7-8":   {8},
		"7-8-9": {9},      // overlaps 7-8 (older than the overlap check)
		"dup":   {40, 41}, // recorded twice
	}
	services := func(u string) []int64 { return users[u] }
	for _, tc := range []struct {
		name string
		r    TrafficRecord
		want int64
	}{
		{"own bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "12-34", StatusCode: 200}, 34},
		{"bucket named as the user", TrafficRecord{Bucket: "12-34", AccessKey: "12-34", StatusCode: 200}, 34},
		{"own access key", TrafficRecord{Bucket: "12-34-data", AccessKey: "AKEXAMPLE", ParentUser: "12-34", StatusCode: 206}, 34},
		{"own failure", TrafficRecord{Bucket: "12-34-data", AccessKey: "12-34", StatusCode: 404}, 34},
		{"anonymous on a public bucket", TrafficRecord{Bucket: "12-35-pub", StatusCode: 200}, 35},
		{"anonymous missing object on a public bucket", TrafficRecord{Bucket: "12-35-pub", StatusCode: 404}, 35},
		{"anonymous refused", TrafficRecord{Bucket: "12-35-data", StatusCode: 403}, Unattributed},
		{"other tenant refused", TrafficRecord{Bucket: "12-35-data", AccessKey: "12-34", StatusCode: 403}, 34},
		{"other tenant allowed by bucket policy", TrafficRecord{Bucket: "12-35-data", AccessKey: "12-34", StatusCode: 200}, 35},
		{"root on a tenant bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "puqadmin", StatusCode: 200}, Unattributed},
		{"root refused on a tenant bucket", TrafficRecord{Bucket: "12-34-data", AccessKey: "puqadmin", StatusCode: 403}, Unattributed},
		{"no bucket", TrafficRecord{AccessKey: "12-34", StatusCode: 200}, 34},
		{"no bucket, access key", TrafficRecord{AccessKey: "AK", ParentUser: "12-35", StatusCode: 200}, 35},
		{"no bucket, root", TrafficRecord{AccessKey: "puqadmin", StatusCode: 200}, Unattributed},
		{"no bucket, anonymous", TrafficRecord{StatusCode: 403}, Unattributed},
		{"foreign bucket", TrafficRecord{Bucket: "backups", AccessKey: "12-34", StatusCode: 403}, 34},
		{"foreign bucket, anonymous", TrafficRecord{Bucket: "backups", StatusCode: 200}, Unattributed},
		{"prefix without hyphen is not the namespace", TrafficRecord{Bucket: "12-345", AccessKey: "12-345", StatusCode: 200}, Unattributed},
		{"overlapping owners", TrafficRecord{Bucket: "7-8-9-data", AccessKey: "7-8-9", StatusCode: 200}, Unattributed},
		{"only the shorter owner", TrafficRecord{Bucket: "7-8-x", AccessKey: "7-8", StatusCode: 200}, 8},
		{"user recorded twice", TrafficRecord{Bucket: "dup-data", AccessKey: "dup", StatusCode: 200}, Unattributed},
		{"requester recorded twice, no bucket", TrafficRecord{AccessKey: "dup", StatusCode: 200}, Unattributed},
	} {
		if got := AttributeTraffic(tc.r, services); got != tc.want {
			t.Errorf("%s: service %d, want %d", tc.name, got, tc.want)
		}
	}
}
