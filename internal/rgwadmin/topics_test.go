package rgwadmin

import "testing"

// The test gateway offers SNS topics (pacific's default); internal/rgw
// TestGatewayWithoutTopics has one that does not.
func TestTopicsOffered(t *testing.T) {
	on, err := newClient(t).TopicsOffered(testCtx(t))
	if err != nil || !on {
		t.Fatalf("TopicsOffered = %t, %v", on, err)
	}
}
