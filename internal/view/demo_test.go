package view

import (
	"bytes"
	"html"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteDemo writes sample pages for screenshots and browser tests when
// PUQS3_DEMO_DIR names a directory:
//
//	PUQS3_DEMO_DIR=/tmp/demo go test ./internal/view -run WriteDemo
//
// PUQS3_DEMO_CSS may name a stylesheet (e.g. Bootstrap's) that the wrapper
// links, to see the fragment inside a theme.
func TestWriteDemo(t *testing.T) {
	dir := os.Getenv("PUQS3_DEMO_DIR")
	if dir == "" {
		t.Skip("PUQS3_DEMO_DIR not set")
	}
	r := newRenderer(t)
	head := `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>puqMinIOS3 demo</title>`
	if css := os.Getenv("PUQS3_DEMO_CSS"); css != "" {
		head += `<link rel="stylesheet" href="` + html.EscapeString(css) + `">`
	}
	head += `</head><body><main class="container my-4">`
	write := func(name string, render func(*bytes.Buffer) error) {
		t.Helper()
		var b bytes.Buffer
		b.WriteString(head)
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		b.WriteString(`</main></body></html>`)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{"english", "arabic", "german"} {
		p := sampleClient()
		p.Lang, p.StatsURL, p.OverviewURL, p.Traffic = lang, "stats-"+lang+".html", "client-"+lang+".html", sampleTraffic()
		write("client-"+lang+".html", func(b *bytes.Buffer) error { return r.Client(b, p) })
		p.Page = PageStats
		write("stats-"+lang+".html", func(b *bytes.Buffer) error { return r.Client(b, p) })
		a := sampleAdmin()
		a.Lang, a.Traffic = lang, sampleTraffic()
		write("admin-"+lang+".html", func(b *bytes.Buffer) error { return r.Admin(b, a) })
	}
}
