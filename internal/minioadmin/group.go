package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/puqminios3/puqminio/internal/domain"
)

// AddGroupMembers adds members to the group, creating the group if needed.
func (c *Client) AddGroupMembers(ctx context.Context, group string, members ...string) error {
	return translate(c.updateGroupMembers(ctx, group, members, false),
		"add "+strings.Join(members, ",")+" to group "+group)
}

// RemoveGroupMembers removes members from the group. Removing no members
// from an empty group deletes the group.
func (c *Client) RemoveGroupMembers(ctx context.Context, group string, members ...string) error {
	return translate(c.updateGroupMembers(ctx, group, members, true),
		"remove "+strings.Join(members, ",")+" from group "+group)
}

func (c *Client) updateGroupMembers(ctx context.Context, group string, members []string, remove bool) error {
	if group == "" {
		return domain.Errorf(domain.EINVALID, "update group members: the group name is empty")
	}
	if members == nil {
		members = []string{} // MinIO expects a list, not null
	}
	body, err := json.Marshal(struct {
		Group    string   `json:"group"`
		Members  []string `json:"members"`
		IsRemove bool     `json:"isRemove"`
	}{group, members, remove})
	if err != nil {
		return fmt.Errorf("minioadmin: update-group-members: %w", err)
	}
	_, err = c.do(ctx, request{method: http.MethodPut, op: "update-group-members", body: body, resendable: true})
	return err
}
