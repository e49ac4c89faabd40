package sqlite

import (
	"context"

	"github.com/puqminios3/puqminio/internal/domain"
)

// SaveAccount saves one account as SaveAccounts does.
func (db *DB) SaveAccount(ctx context.Context, a domain.Account) error {
	return db.SaveAccounts(ctx, []domain.Account{a})
}

// forced returns a pointer to p, for domain.AccountChange.Forced.
func forced(p domain.PolicyState) *domain.PolicyState { return &p }
