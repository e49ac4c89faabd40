//go:build browser

package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// browser is headless Chromium driven through the DevTools protocol over
// --remote-debugging-pipe: JSON messages ending in a NUL byte, commands on
// the child's fd 3 and replies and events on its fd 4. No port is opened and
// no WebSocket library is needed.
type browser struct {
	cmd  *exec.Cmd
	out  *os.File // our end of fd 3
	in   *os.File // our end of fd 4
	done chan struct{}

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	onEvent func(m message)
	readErr error
}

type message struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// safeBuffer is a bytes.Buffer written by exec's copying goroutine and read
// by the test.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// launch starts Chromium. onEvent receives every event, from the reading
// goroutine; it must not block.
func launch(path, profile string, onEvent func(message)) (*browser, *safeBuffer, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	stderr := &safeBuffer{}
	cmd := exec.Command(path,
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--disable-default-apps",
		"--disable-domain-reliability",
		"--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,InterestFeedContentSuggestions",
		"--metrics-recording-only",
		"--safebrowsing-disable-auto-update",
		"--hide-scrollbars",
		"--font-render-hinting=none",
		"--lang=en-US",
		// Belt and braces: even if something tried, no name but the
		// loopback address resolves.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+profile,
		"--remote-debugging-pipe",
		"about:blank",
	)
	cmd.ExtraFiles = []*os.File{cmdR, evW} // fd 3 and fd 4
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		cmdR.Close()
		cmdW.Close()
		evR.Close()
		evW.Close()
		return nil, nil, err
	}
	cmdR.Close()
	evW.Close()
	b := &browser{cmd: cmd, out: cmdW, in: evR, done: make(chan struct{}),
		pending: map[int64]chan message{}, onEvent: onEvent}
	go b.read()
	return b, stderr, nil
}

func (b *browser) read() {
	defer close(b.done)
	r := bufio.NewReaderSize(b.in, 1<<20)
	for {
		raw, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if b.onEvent != nil {
			b.onEvent(m)
		}
	}
}

// call sends a command (to the browser when session is "", else to that
// target session) and decodes its result into out, if out is not nil.
func (b *browser) call(ctx context.Context, session, method string, params, out any) error {
	if params == nil {
		params = struct{}{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	ch := make(chan message, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("%s: browser gone: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	req, err := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.out.Write(append(req, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: browser closed the pipe", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// close asks Chromium to quit and kills it if it does not.
func (b *browser) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.call(ctx, "", "Browser.close", nil, nil)
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-exited
	}
	b.out.Close()
	<-b.done
	b.in.Close()
}

// page is one tab.
type page struct {
	b       *browser
	session string
}

func (b *browser) newPage(ctx context.Context) (*page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	p := &page{b: b, session: att.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"} {
		if err := p.call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	// A headless page never has the window focus the clipboard API wants.
	if err := p.call(ctx, "Emulation.setFocusEmulationEnabled", map[string]any{"enabled": true}, nil); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *page) call(ctx context.Context, method string, params, out any) error {
	return p.b.call(ctx, p.session, method, params, out)
}

// eval runs a JavaScript expression (awaiting a promise it returns) and
// decodes its JSON value into out, if out is not nil.
func (p *page) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "returnByValue": true, "awaitPromise": true, "userGesture": true,
	}, &res)
	if err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		msg := e.Text
		if e.Exception != nil {
			msg += " " + e.Exception.Description
		}
		return fmt.Errorf("javascript: %s", msg)
	}
	if out == nil {
		return nil
	}
	if len(res.Result.Value) == 0 {
		return errors.New("javascript: no value (type " + res.Result.Type + ")")
	}
	return json.Unmarshal(res.Result.Value, out)
}

// waitFor polls a boolean JavaScript expression until it is true.
func (p *page) waitFor(ctx context.Context, expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := p.eval(ctx, "!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("waiting for %s: %w", expr, err)
			}
			return fmt.Errorf("timed out waiting for %s", expr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// viewport sets the page's size the way a device would.
func (p *page) viewport(ctx context.Context, w, h int, mobile bool) error {
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": w, "height": h, "deviceScaleFactor": 1, "mobile": mobile,
	}, nil)
}

// navigate loads url and waits until its load event has run.
func (p *page) navigate(ctx context.Context, url string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, res.ErrorText)
	}
	u, _ := json.Marshal(url)
	return p.waitFor(ctx, "location.href === "+string(u)+" && document.readyState === 'complete'", 15*time.Second)
}

// click presses and releases the primary mouse button over the centre of the
// element selector matches, as a person would: a trusted event with user
// activation, hitting whatever is drawn there.
func (p *page) click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	var pt struct {
		X, Y  float64
		Found bool
	}
	err := p.eval(ctx, `(() => {
		const el = document.querySelector(`+string(sel)+`);
		if (!el) return {Found: false};
		el.scrollIntoView({block: "center", inline: "center"});
		const r = el.getBoundingClientRect();
		return {Found: true, X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, &pt)
	if err != nil {
		return err
	}
	if !pt.Found {
		return fmt.Errorf("click: nothing matches %s", selector)
	}
	var hit bool
	err = p.eval(ctx, fmt.Sprintf(`(() => {
		const el = document.querySelector(%s), at = document.elementFromPoint(%g, %g);
		return !!at && (at === el || el.contains(at));
	})()`, sel, pt.X, pt.Y), &hit)
	if err != nil {
		return err
	}
	if !hit {
		return fmt.Errorf("click: %s is covered by another element at its centre", selector)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		params := map[string]any{"type": typ, "x": pt.X, "y": pt.Y}
		if typ != "mouseMoved" {
			params["button"] = "left"
			params["clickCount"] = 1
		}
		if err := p.call(ctx, "Input.dispatchMouseEvent", params, nil); err != nil {
			return err
		}
	}
	return nil
}

// clickAndWait clicks what selector matches and waits for the page it
// leads to (a form's POST, a link) to have loaded: the old document is
// marked, and the wait ends once a complete document without the mark is
// there.
func (p *page) clickAndWait(ctx context.Context, selector string) error {
	if err := p.eval(ctx, "window.puqs3Old = true", nil); err != nil {
		return err
	}
	if err := p.click(ctx, selector); err != nil {
		return err
	}
	return p.waitFor(ctx, "!window.puqs3Old && document.readyState === 'complete'", 30*time.Second)
}

// typeInto clicks the field selector matches, as a person would, and
// types text into it.
func (p *page) typeInto(ctx context.Context, selector, text string) error {
	if err := p.click(ctx, selector); err != nil {
		return err
	}
	return p.call(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// screenshot returns a PNG of the whole page, down to the end of its body,
// not just the viewport.
func (p *page) screenshot(ctx context.Context) ([]byte, error) {
	var size struct{ W, H float64 }
	if err := p.eval(ctx, `({W: document.documentElement.clientWidth, H: Math.ceil(document.body.getBoundingClientRect().bottom + scrollY)})`, &size); err != nil {
		return nil, err
	}
	var res struct {
		Data string `json:"data"`
	}
	err := p.call(ctx, "Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": size.W, "height": size.H, "scale": 1},
	}, &res)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}
