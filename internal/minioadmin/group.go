package minioadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// GroupInfo is one group: its status ("enabled"/"disabled"), members and
// attached policies (comma separated, like UserInfo.PolicyName).
type GroupInfo struct {
	Name      string
	Status    string
	Members   []string
	Policy    string
	UpdatedAt time.Time
}

// UpdateGroupMembers adds members to the group, creating it if needed, or
// with remove removes them. Removing no members from an empty group
// deletes the group.
func (c *Client) UpdateGroupMembers(ctx context.Context, group string, members []string, remove bool) error {
	if group == "" {
		return errors.New("minioadmin: update-group-members: group is empty")
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

// GroupInfo returns the group's members, status and policies.
func (c *Client) GroupInfo(ctx context.Context, group string) (GroupInfo, error) {
	body, err := c.do(ctx, request{method: http.MethodGet, op: "group",
		query: url.Values{"group": {group}}, resendable: true})
	if err != nil {
		return GroupInfo{}, err
	}
	var w struct {
		Name      string    `json:"name"`
		Status    string    `json:"status"`
		Members   []string  `json:"members"`
		Policy    string    `json:"policy"`
		UpdatedAt time.Time `json:"updatedAt"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return GroupInfo{}, fmt.Errorf("minioadmin: group: decode answer: %w", err)
	}
	return GroupInfo(w), nil
}
