package view

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"

	puqminio "github.com/puqminios3/puqminio"
)

// Languages lists the language names the module ships, spelled as WHMCS
// spells them. It is the whitelist LanguageFor checks against.
var Languages = []string{
	"arabic", "azerbaijani", "catalan", "chinese", "croatian", "czech",
	"danish", "dutch", "english", "estonian", "farsi", "french", "german",
	"hebrew", "hungarian", "italian", "macedonian", "norwegian", "polish",
	"romanian", "russian", "spanish", "swedish", "turkish", "ukrainian",
}

// DefaultLanguage is used when WHMCS names a language the module does not ship.
const DefaultLanguage = "english"

// maxOverrideBytes bounds an admin's override file; a real one is a few KiB.
const maxOverrideBytes = 1 << 20

// LanguageFor returns name when it is one of Languages (compared without
// case or surrounding space) and DefaultLanguage otherwise. Its result is
// safe to use in a file name.
func LanguageFor(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, l := range Languages {
		if l == name {
			return l
		}
	}
	return DefaultLanguage
}

// Meta describes how a language writes numbers and dates. Layouts use Go's
// reference time (Mon Jan 2 15:04:05 MST 2006).
type Meta struct {
	Locale      string `json:"locale"`      // BCP 47 tag for the lang attribute, e.g. de-DE
	Dir         string `json:"dir"`         // ltr or rtl
	Decimal     string `json:"decimal"`     // decimal separator
	Group       string `json:"group"`       // thousands separator
	DateFormat  string `json:"dateFormat"`  // a full date
	TimeFormat  string `json:"timeFormat"`  // hours and minutes
	DayFormat   string `json:"dayFormat"`   // day and month, for chart axes
	MonthFormat string `json:"monthFormat"` // month and year
}

// langFile is the layout of lang/<name>.json and of an override file (which
// may omit meta and any string).
type langFile struct {
	Meta    *Meta             `json:"meta"`
	Strings map[string]string `json:"strings"`
}

// locale is one language ready for rendering: its formats and every string,
// English filling any gap.
type locale struct {
	Name string
	Meta
	strings map[string]string
}

var placeholder = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\{[0-9]\}`) })

// languages holds what a Renderer knows of the languages: English, read
// when the Renderer is made (every other language falls back to it), the
// admin's overrides, checked then too, and each other shipped language,
// read the first time a page asks for it. A process renders one page in
// one language: reading and decoding all 25 files took more than half of a
// client page's time.
type languages struct {
	en        langFile
	overrides map[string]map[string]string // language -> key -> string
	mu        sync.Mutex
	loaded    map[string]*locale
}

// loadLanguages reads English and the overrides in dir (if any); a bad
// override is an error here, whichever language it is for.
func loadLanguages(dir string) (*languages, error) {
	en, err := readLangFile(puqminio.Assets, "lang/"+DefaultLanguage+".json", true)
	if err != nil {
		return nil, err
	}
	ls := &languages{en: en, loaded: map[string]*locale{}}
	if dir != "" {
		if ls.overrides, err = readOverrides(dir, en.Strings); err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// locale returns the shipped language name (one of Languages), English
// filling its gaps, with the admin's overrides applied.
func (ls *languages) locale(name string) (*locale, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if l, ok := ls.loaded[name]; ok {
		return l, nil
	}
	f := ls.en
	if name != DefaultLanguage {
		var err error
		if f, err = readLangFile(puqminio.Assets, "lang/"+name+".json", true); err != nil {
			return nil, err
		}
	}
	en := ls.en.Strings
	l := &locale{Name: name, Meta: *f.Meta, strings: make(map[string]string, len(en))}
	for k, v := range en {
		l.strings[k] = v
	}
	for k, v := range f.Strings {
		if _, ok := en[k]; !ok {
			return nil, fmt.Errorf("lang/%s.json: unknown key %q", name, k)
		}
		l.strings[k] = v
	}
	for k, v := range ls.overrides[name] {
		l.strings[k] = v
	}
	ls.loaded[name] = l
	return l, nil
}

// readOverrides reads <dir>/<language>.json for each shipped language and
// checks each string against English's. Files are opened through os.Root,
// so a symbolic link that leads out of dir is refused; only whitelisted
// names are ever looked up.
func readOverrides(dir string, en map[string]string) (map[string]map[string]string, error) {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("language overrides: %w", err)
	}
	defer root.Close()
	out := map[string]map[string]string{}
	for _, name := range Languages {
		f, err := readLangFile(root.FS(), name+".json", false)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("language override: %w", err)
		}
		for k, v := range f.Strings {
			e, ok := en[k]
			if !ok {
				return nil, fmt.Errorf("language override %s.json: unknown key %q", name, k)
			}
			if !samePlaceholders(e, v) {
				return nil, fmt.Errorf("language override %s.json: %q must keep the placeholders of %q", name, k, e)
			}
		}
		out[name] = f.Strings
	}
	return out, nil
}

// readLangFile decodes one language file, refusing unknown fields and, for
// shipped files, a missing or incomplete meta block.
func readLangFile(fsys fs.FS, name string, shipped bool) (langFile, error) {
	var f langFile
	h, err := fsys.Open(name)
	if err != nil {
		return f, err
	}
	defer h.Close()
	if st, err := h.Stat(); err != nil {
		return f, err
	} else if !st.Mode().IsRegular() {
		return f, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(h, maxOverrideBytes+1))
	if err != nil {
		return f, err
	}
	if len(data) > maxOverrideBytes {
		return f, fmt.Errorf("%s is larger than %d bytes", name, maxOverrideBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("%s: %w", name, err)
	}
	if !shipped {
		if f.Meta != nil {
			return f, fmt.Errorf("%s: an override may change strings only, not meta", name)
		}
		return f, nil
	}
	m := f.Meta
	if m == nil || m.Locale == "" || (m.Dir != "ltr" && m.Dir != "rtl") || m.Decimal == "" ||
		m.DateFormat == "" || m.TimeFormat == "" || m.DayFormat == "" || m.MonthFormat == "" {
		return f, fmt.Errorf("%s: incomplete meta", name)
	}
	return f, nil
}

// samePlaceholders reports whether a and b use the same {n} placeholders.
func samePlaceholders(a, b string) bool {
	set := func(s string) []string {
		p := placeholder().FindAllString(s, -1)
		slices.Sort(p)
		return slices.Compact(p)
	}
	return slices.Equal(set(a), set(b))
}

// T returns the string for key with {0}, {1}, ... replaced by args. An
// unknown key is an error, so a template typo fails every render test.
func (l *locale) T(key string, args ...any) (string, error) {
	s, ok := l.strings[key]
	if !ok {
		return "", fmt.Errorf("no string %q", key)
	}
	if len(args) == 0 {
		return s, nil
	}
	pairs := make([]string, 0, 2*len(args))
	for i, a := range args {
		pairs = append(pairs, fmt.Sprintf("{%d}", i), fmt.Sprint(a))
	}
	return strings.NewReplacer(pairs...).Replace(s), nil
}
