package view

import "github.com/puqminios3/puqminio/internal/domain"

// refusalKeys are the strings that say why a self-service action was
// refused, by domain.Error's Refusal.
var refusalKeys = map[string]string{
	domain.RefuseMaxBuckets:   "selfErrMaxBuckets",
	domain.RefuseMaxKeys:      "selfErrMaxKeys",
	domain.RefuseRate:         "selfErrRate",
	domain.RefuseFull:         "selfErrFull",
	domain.RefuseSuspended:    "selfErrSuspended",
	domain.RefuseNotPermitted: "selfErrNotPermitted",
	domain.RefuseTaken:        "selfErrTaken",
	domain.RefuseNotEmpty:     "selfErrNotEmpty",
	domain.RefuseRetention:    "selfErrRetention",
	domain.RefuseNotFound:     "selfErrNotFound",
	domain.RefuseInput:        "selfErrInput",
	domain.RefuseConfirm:      "selfErrConfirm",
}

// Refusal says, in lang, why a client's self-service action failed:
// refusal is the domain's word for it ("" for a failure that is not a
// refusal: the server did not answer, ...), code the error's code. The
// client never reads the server's own words.
func (r *Renderer) Refusal(lang, refusal, code string) string {
	l, err := r.locale(lang)
	if err != nil {
		// A language file that cannot be read (an override is checked
		// when the Renderer is made): English, which always is.
		l, _ = r.locale(DefaultLanguage)
	}
	key, ok := refusalKeys[refusal]
	if !ok {
		key = "selfErrFailed"
		if code == domain.ELIMIT {
			key = "selfErrRate"
		}
	}
	s, _ := l.T(key)
	return s
}
