package minioadmin

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// byEncodingJSON is what decodeDataUsage must agree with: encoding/json
// into the fields the module reads, keys matched exactly as MinIO writes
// them (encoding/json's own struct decoding would also take other cases).
func byEncodingJSON(b []byte) (domain.DataUsage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return domain.DataUsage{}, err
	}
	if top == nil {
		return domain.DataUsage{}, errors.New("null")
	}
	u := domain.DataUsage{BucketsUsage: map[string]domain.BucketUsage{}}
	for k, dst := range map[string]any{"lastUpdate": &u.LastUpdate, "objectsCount": &u.ObjectsTotalCount,
		"objectsTotalSize": &u.ObjectsTotalSize, "versionsCount": &u.VersionsCount, "bucketsCount": &u.BucketsCount} {
		if raw, ok := top[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return domain.DataUsage{}, err
			}
		}
	}
	var buckets map[string]map[string]json.RawMessage
	if raw, ok := top["bucketsUsageInfo"]; ok {
		if err := json.Unmarshal(raw, &buckets); err != nil {
			return domain.DataUsage{}, err
		}
	}
	for name, fields := range buckets {
		var bu domain.BucketUsage
		for k, dst := range map[string]*uint64{"size": &bu.Size, "objectsCount": &bu.ObjectsCount, "versionsCount": &bu.VersionsCount, "deleteMarkersCount": &bu.DeleteMarkersCount} {
			if raw, ok := fields[k]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					return domain.DataUsage{}, err
				}
			}
		}
		u.BucketsUsage[name] = bu
	}
	return u, nil
}

const usageSample = `{"lastUpdate":"2026-11-29T22:47:01.123456789Z","objectsCount":12,"objectsTotalSize":3000,
 "objectsReplicationInfo":{},"replicationInfo":null,"versionsCount":14,"deleteMarkersCount":1,
 "bucketsCount":2,"bucketsUsageInfo":{
  "1-4-data":{"size":3000,"objectsPendingReplicationTotalSize":0,"objectsCount":12,"versionsCount":14,
    "deleteMarkersCount":1,"objectsSizesHistogram":{"LESS_THAN_1024_B":12,"BETWEEN_1024_B_AND_64_KB":0},
    "objectsVersionsHistogram":{"UNVERSIONED":12},"objectReplicaTotalSize":-1,"replicationInfo":[{"a":[1,2.5e3,"x\"y"]},true,false,null]},
  "1-5-b\u0031":{"size":0,"objectsCount":0,"versionsCount":0}},
 "tierStats":{"a":{"b":[]}},"totalCapacity":0}`

func TestDecodeDataUsageAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{usageSample, `{}`, `{"bucketsUsageInfo":null}`, `{"bucketsUsageInfo":{}}`, ` {"objectsCount" : 7 } `} {
		want, err := byEncodingJSON([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeDataUsage([]byte(in))
		if err != nil {
			t.Fatalf("%.40s: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.40s:\n got %+v\nwant %+v", in, got, want)
		}
	}
}

func TestDecodeDataUsageRefusesWhatIsNotAnAnswer(t *testing.T) {
	for _, in := range []string{``, `[]`, `{`, `{"objectsCount":-1}`, `{"objectsCount":1.5}`, `{"bucketsUsageInfo":{"a":{"size":"1"}}}`,
		`{"a":tru}`, `{"a":1}x`, `{"a":1}{}`, usageSample[:len(usageSample)-3], `{"lastUpdate":"yesterday"}`, "{\"a\":\"\x01\"}"} {
		if _, err := decodeDataUsage([]byte(in)); err == nil {
			t.Errorf("%q was taken as an answer", in)
		} else if strings.Contains(err.Error(), "panic") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// FuzzDecodeDataUsage: whatever encoding/json takes as an answer, the scan
// takes the same way; it never panics.
func FuzzDecodeDataUsage(f *testing.F) {
	for _, s := range []string{usageSample, `{}`, `{"bucketsUsageInfo":{"a":{"size":1}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeDataUsage(b)
		want, werr := byEncodingJSON(b)
		if err == nil && werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

// The answer of a server with 30,000 buckets, as MinIO shapes it.
func BenchmarkDecodeDataUsage30k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"lastUpdate":"2026-11-29T22:47:01Z","objectsCount":1,"bucketsCount":30000,"bucketsUsageInfo":{`)
	for i := 0; i < 30000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"1-` + strings.Repeat("9", 4) + `-data` + time.Duration(i).String() + `":{"size":123456,"objectsPendingReplicationTotalSize":0,"objectsFailedReplicationTotalSize":0,"objectsReplicatedTotalSize":0,"objectsPendingReplicationCount":0,"objectsFailedReplicationCount":0,"objectsCount":12,"objectsSizesHistogram":{"BETWEEN_1024B_AND_1_MB":0,"BETWEEN_10_MB_AND_64_MB":0,"BETWEEN_128_MB_AND_512_MB":0,"BETWEEN_1_MB_AND_10_MB":0,"BETWEEN_64_MB_AND_128_MB":0,"GREATER_THAN_512_MB":0,"LESS_THAN_1024_B":12},"objectsVersionsHistogram":{"BETWEEN_1000_AND_10000":0,"BETWEEN_10000_AND_100000":0,"BETWEEN_100000_AND_1000000":0,"BETWEEN_1_AND_100":12,"BETWEEN_100_AND_1000":0,"GREATER_THAN_1000000":0,"UNVERSIONED":0},"versionsCount":12,"deleteMarkersCount":0,"objectReplicaTotalSize":0,"objectsReplicationInfo":{}}`)
	}
	sb.WriteString(`}}`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeDataUsage(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := byEncodingJSON(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
