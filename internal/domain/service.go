package domain

// ServiceRef is the WHMCS service an action concerns, as the shim passes it.
type ServiceRef struct {
	ID       int64  `json:"id"`
	ClientID int64  `json:"clientId"`
	Username string `json:"username"`
	Password string `json:"password"`
	Status   string `json:"status"` // WHMCS status: Active, Suspended, ...
	Lang     string `json:"lang"`   // WHMCS language name, e.g. "german"
}

// Created is what account creation returns: the values WHMCS must store.
type Created struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Bucket   string `json:"bucket,omitempty"`
	Policy   string `json:"policy"`
	Group    string `json:"group,omitempty"`
}

// Terminated counts what terminate removed. The user's access keys go
// with it; they are not counted (listing them costs an Argon2id).
type Terminated struct {
	Username string `json:"username"`
	Buckets  int    `json:"buckets"`
	Objects  int64  `json:"objects"`
}
