package account

import (
	"errors"

	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/minioadmin"
)

// translate turns an admin-API error into a domain error saying what was
// being done. Errors that are already domain errors pass through.
func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	if de, ok := domain.FromTransport(err, doing); ok {
		return de
	}
	var me *minioadmin.Error
	if errors.As(err, &me) {
		switch me.Code {
		case "XMinioAdminNoSuchUser", "XMinioAdminNoSuchGroup", "XMinioAdminNoSuchPolicy", "XMinioAdminNoSuchServiceAccount":
			return domain.Errorf(domain.ENOTFOUND, "%s: %s", doing, domain.Printable(me.Message))
		case "XMinioInvalidIAMCredentials", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "XMinioAccessDenied":
			return domain.Errorf(domain.EUNAUTHORIZED, "%s: MinIO refused the admin credentials (%s); check the server's username and password and that they may administer users", doing, me.Code)
		case "XMinioServerNotInitialized":
			return domain.Retryf(domain.EUNAVAILABLE, "%s: MinIO is still starting; retrying is safe", doing)
		case "RequestTimeTooSkewed":
			return domain.Errorf(domain.EREMOTE, "%s: the clocks of WHMCS and MinIO differ by more than 15 minutes; fix the time on one of them", doing)
		}
		if me.StatusCode >= 500 {
			return domain.Retryf(domain.EUNAVAILABLE, "%s: MinIO answered %s: %s; retrying is safe", doing, me.Code, domain.Printable(me.Message))
		}
		return domain.Errorf(domain.EREMOTE, "%s: MinIO answered %s: %s", doing, me.Code, domain.Printable(me.Message))
	}
	return domain.Retryf(domain.EUNAVAILABLE, "%s: %s; retrying is safe", doing, domain.Printable(err.Error()))
}

func isNotFound(err error) bool {
	switch minioadmin.ErrorCodeOf(err) {
	case "XMinioAdminNoSuchUser", "XMinioAdminNoSuchGroup", "XMinioAdminNoSuchPolicy", "XMinioAdminNoSuchServiceAccount":
		return true
	}
	return false
}
