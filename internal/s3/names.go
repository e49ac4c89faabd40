package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/puqminios3/puqminio/internal/domain"
)

// emptySHA256 is the hex SHA-256 of an empty body.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxListAnswer bounds the ListBuckets answer read: a server with a
// million buckets answers about 110 MB.
const maxListAnswer = 256 << 20

// bucketNames lists the server's buckets (S3 ListBuckets, signed with the
// admin credentials) and returns the names keep accepts, sorted. At 30,000
// buckets the answer is 3 MB; minio-go decodes every entry into a struct
// with its creation date, while this reads only the names, and keeps only
// those asked for.
func (c *Client) bucketNames(ctx context.Context, keep func(string) bool) ([]string, error) {
	const doing = "list buckets"
	scheme := "http"
	if c.cfg.Secure {
		scheme = "https"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+c.cfg.Endpoint+"/", nil)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "server.endpoint: %s", domain.Printable(err.Error()))
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	region := c.cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	req = signer.SignV4(*req, c.cfg.AccessKey, c.cfg.SecretKey, "", region)
	resp, err := (&http.Client{Transport: c.tr}).Do(req)
	if err != nil {
		return nil, Translate(err, doing)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxListAnswer))
	if err != nil {
		return nil, Translate(err, doing)
	}
	if resp.StatusCode != http.StatusOK {
		e := minio.ErrorResponse{StatusCode: resp.StatusCode}
		_ = xml.Unmarshal(body, &e)
		return nil, Translate(e, doing)
	}
	names, err := scanBucketNames(body, keep)
	if err != nil {
		return nil, domain.Errorf(domain.EREMOTE, "%s: the server's answer is not a bucket list: %v", doing, err)
	}
	sort.Strings(names)
	return names, nil
}

// scanBucketNames reads the <Name> of each <Bucket> of a ListBuckets
// answer. Bucket names hold only lowercase letters, digits, dots and
// hyphens, so a name needs no unescaping; one that would (an '&') is
// decoded by encoding/xml.
func scanBucketNames(body []byte, keep func(string) bool) ([]string, error) {
	i := bytes.Index(body, []byte("<Buckets>"))
	if i < 0 {
		if bytes.Contains(body, []byte("<Buckets/>")) || bytes.Contains(body, []byte("<Buckets></Buckets>")) {
			return nil, nil
		}
		return nil, fmt.Errorf("no <Buckets> element")
	}
	rest := body[i:]
	var out []string
	for {
		j := bytes.Index(rest, []byte("<Name>"))
		if j < 0 {
			break
		}
		rest = rest[j+len("<Name>"):]
		k := bytes.Index(rest, []byte("</Name>"))
		if k < 0 {
			return nil, fmt.Errorf("an unterminated <Name>")
		}
		raw := rest[:k]
		name := string(raw)
		if bytes.IndexByte(raw, '&') >= 0 {
			var v struct {
				Name string `xml:",chardata"`
			}
			if err := xml.Unmarshal(append(append([]byte("<n>"), raw...), "</n>"...), &v); err != nil {
				return nil, err
			}
			name = v.Name
		}
		if keep(name) {
			out = append(out, name)
		}
		rest = rest[k:]
	}
	return out, nil
}
