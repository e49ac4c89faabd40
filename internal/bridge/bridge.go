package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/account"
	"github.com/puqminios3/puqminio/internal/domain"
	"github.com/puqminios3/puqminio/internal/view"
)

// Exit statuses of `puqminio rpc`.
const (
	ExitOK       = 0 // ok:true
	ExitRejected = 1 // the request was refused before anything was touched
	ExitFailed   = 2 // the action failed; the response says whether to retry
	ExitNoAnswer = 3 // no response could be written
)

// Env is what the bridge needs from outside the request. cmd/puqminio
// builds it; nothing here knows how the server, the store or the pages are
// reached.
type Env struct {
	Now func() time.Time
	Log *slog.Logger
	// Open returns the account manager for the request's server and usage
	// store (storePath is "" for actions without one). It makes no network
	// call and opens no file; the manager opens its store at first use.
	Open func(s *Server, storePath string) (*account.Manager, error)
	// Renderer returns the page renderer with the admin's language
	// overrides from overridesDir ("" for none).
	Renderer func(overridesDir string) (Renderer, error)
}

// Renderer draws the client area and the admin tab; *view.Renderer
// implements it.
type Renderer interface {
	Client(w io.Writer, p view.ClientPage) error
	Admin(w io.Writer, p view.AdminPage) error
	// Refusal says why a client's self-service action failed, in lang.
	Refusal(lang, refusal, code string) string
}

// Response is the one JSON object written to stdout.
type Response struct {
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *ErrorBody `json:"error,omitempty"`
}

// ErrorBody is a failed response's error.
type ErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
	// Text is, for a client's self-service action, the reason in the
	// client's language: what the client is shown instead of Message.
	Text string `json:"text,omitempty"`
}

// rejected lists the codes that mean "refused before anything was touched".
var rejected = map[string]bool{
	domain.EINVALIDJSON: true, domain.EVERSION: true, domain.EUNKNOWN: true, domain.EMISSING: true,
	domain.EINVALID: true, domain.ETOOLARGE: true, domain.EINVALIDNAME: true, domain.EINVALIDPOL: true,
}

// Run reads one request from in, carries it out and writes one response to
// out. It returns the process exit status.
func Run(ctx context.Context, in io.Reader, out io.Writer, env Env) int {
	if env.Log == nil {
		env.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	start := time.Now()
	var result any
	req, err := Decode(in)
	action := ""
	if err == nil {
		action = req.Action
		result, err = Dispatch(ctx, req, env)
	}
	resp := Response{OK: err == nil, Result: result}
	status := ExitOK
	if err != nil {
		code := domain.ErrorCode(err)
		if code == domain.EINTERNAL {
			// Details of an internal error go to the operator's log only.
			env.Log.Error("internal error", "action", action, "err", err.Error())
		}
		resp.Result = nil
		resp.Error = &ErrorBody{Code: code, Message: domain.ErrorMessage(err), Retryable: domain.IsRetryable(err), Text: refusalText(req, env, err)}
		status = ExitFailed
		if rejected[code] {
			status = ExitRejected
		}
		env.Log.Warn("action failed", "action", action, "code", code, "retryable", resp.Error.Retryable, "ms", time.Since(start).Milliseconds())
	} else {
		env.Log.Info("action done", "action", action, "ms", time.Since(start).Milliseconds())
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if werr := enc.Encode(resp); werr != nil {
		env.Log.Error("cannot write the response", "err", werr.Error())
		return ExitNoAnswer
	}
	return status
}

// Actions lists the action names, sorted.
func Actions() []string {
	out := make([]string, 0, len(actions))
	for k := range actions {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Dispatch checks the envelope against its action's needs, decodes the
// action's params and runs it within the server's timeout. The rules on
// the values (names, products, passwords) are the account's, which checks
// them before it touches anything.
func Dispatch(ctx context.Context, req *Request, env Env) (any, error) {
	a, ok := actions[req.Action]
	if !ok {
		return nil, domain.Errorf(domain.EUNKNOWN, "unknown action %q; known: %s", domain.Printable(req.Action), strings.Join(Actions(), ", "))
	}
	if a.needs&needParams == 0 && !emptyParams(req.Params) {
		return nil, domain.Errorf(domain.EINVALID, "params is not used by %s; leave it out", req.Action)
	}
	if a.needs&needServer != 0 {
		if err := req.Server.check(); err != nil {
			return nil, err
		}
	}
	storePath := ""
	if a.needs&needStore != 0 {
		if err := req.Store.check(); err != nil {
			return nil, err
		}
		storePath = req.Store.Path
	}
	if a.needs&needService != 0 {
		if err := checkService(req.Service, req.Action); err != nil {
			return nil, err
		}
	}
	if a.needs&needProduct != 0 && req.Product == nil {
		return nil, domain.Errorf(domain.EMISSING, "product is required for %s", req.Action)
	}
	run, err := a.prepare(req, env)
	if err != nil {
		return nil, err
	}
	if a.needs&needServer == 0 {
		return run(ctx, nil)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(req.Server.TimeoutSeconds)*time.Second)
	defer cancel()
	if env.Open == nil {
		return nil, domain.Errorf(domain.EINTERNAL, "the bridge has no way to reach a server")
	}
	m, err := env.Open(req.Server, storePath)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	return run(ctx, m)
}

// emptyParams reports whether params is absent or an empty object.
func emptyParams(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return true
	}
	var b bytes.Buffer
	return json.Compact(&b, raw) == nil && b.String() == "{}"
}
