package testminio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7/pkg/signer"
)

// AdminGet sends a GET to the server's admin API, signed with the root
// credentials, and decodes a 200 answer's JSON into out. It returns the
// HTTP status; an answer other than 200 leaves out untouched. Tests use it
// to look at state the module's own admin client has no call for (group
// members, a canned policy's document), so that checking a result never
// depends on the code under test.
func (s *Server) AdminGet(ctx context.Context, op string, query url.Values, out any) (int, error) {
	status, body, err := s.adminCall(ctx, http.MethodGet, op, query)
	if err != nil {
		return status, err
	}
	if status != http.StatusOK {
		return status, nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return status, fmt.Errorf("%s: %w: %s", op, err, body)
	}
	return status, nil
}

// adminCall sends a bodiless admin request signed with the root
// credentials and returns the status and the answer.
func (s *Server) adminCall(ctx context.Context, method, op string, query url.Values) (int, []byte, error) {
	u := s.URL() + "/minio/admin/v3/" + op
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, http.NoBody)
	if err != nil {
		return 0, nil, err
	}
	sum := sha256.Sum256(nil)
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	req = signer.SignV4(*req, s.AccessKey, s.SecretKey, "", "")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// SetGroupPolicies replaces the policies attached to group, as an admin
// does by hand (the module never attaches policies to groups).
func (s *Server) SetGroupPolicies(ctx context.Context, group string, policies []string) error {
	status, body, err := s.adminCall(ctx, http.MethodPut, "set-user-or-group-policy", url.Values{
		"policyName": {strings.Join(policies, ",")}, "userOrGroup": {group}, "isGroup": {"true"}})
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("set the policies of group %s: HTTP %d: %s", group, status, body)
	}
	return err
}

// GroupMembers returns the members of group; ok is false when the server
// has no such group.
func (s *Server) GroupMembers(ctx context.Context, group string) (members []string, ok bool, err error) {
	var g struct {
		Members []string `json:"members"`
	}
	ok, err = s.adminRead(ctx, "group", url.Values{"group": {group}}, &g)
	return g.Members, ok, err
}

// CannedPolicy returns the document of the canned policy name; ok is false
// when the server has no such policy.
func (s *Server) CannedPolicy(ctx context.Context, name string) (doc []byte, ok bool, err error) {
	var raw json.RawMessage
	ok, err = s.adminRead(ctx, "info-canned-policy", url.Values{"name": {name}}, &raw)
	return raw, ok, err
}

// adminRead is AdminGet for a thing that may not exist: ok is false on 404.
func (s *Server) adminRead(ctx context.Context, op string, query url.Values, out any) (bool, error) {
	status, err := s.AdminGet(ctx, op, query, out)
	switch {
	case err != nil:
		return false, err
	case status == http.StatusNotFound:
		return false, nil
	case status != http.StatusOK:
		return false, fmt.Errorf("%s %v: HTTP %d", op, query, status)
	}
	return true, nil
}
