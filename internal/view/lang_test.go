package view

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	puqminio "github.com/puqminios3/puqminio"
)

// sameAsEnglish lists the keys whose English text is also correct in some
// other languages: brand and loan words (Bucket, Standard), and words that
// happen to be spelled alike (Total, Date, Mode, Source, OK, Norwegian "Full").
var sameAsEnglish = map[string]bool{
	"buckets": true, "bucket": true, "versions": true, "total": true, "date": true,
	"serverMode": true, "source": true, "policyStandard": true, "stateNormal": true,
	"account": true, "drivesState": true, "limit": true, "stateLimited": true,
}

// maxSameAsEnglish bounds how many strings of one language may equal the
// English ones, so a file that is mostly an English copy fails.
const maxSameAsEnglish = 8

func readShipped(t *testing.T, name string) langFile {
	t.Helper()
	f, err := readLangFile(puqminio.Assets, "lang/"+name+".json", true)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestLanguageFilesMatchWhitelist(t *testing.T) {
	entries, err := fs.ReadDir(puqminio.Assets, "lang")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	want := slices.Clone(Languages)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("lang/ holds %v, want %v", names, want)
	}
	if len(Languages) != 25 {
		t.Errorf("%d languages, want 25", len(Languages))
	}
}

func TestLanguageFilesComplete(t *testing.T) {
	en := readShipped(t, "english").Strings
	for _, name := range Languages {
		f := readShipped(t, name)
		for k := range en {
			v, ok := f.Strings[k]
			if !ok {
				t.Errorf("%s: missing key %q", name, k)
				continue
			}
			if strings.TrimSpace(v) == "" || v != strings.TrimSpace(v) {
				t.Errorf("%s: %q is empty or has stray spaces", name, k)
			}
			if !samePlaceholders(en[k], v) {
				t.Errorf("%s: %q does not keep the placeholders of %q", name, k, en[k])
			}
		}
		for k := range f.Strings {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: key %q is not in english.json", name, k)
			}
		}
		if name == "english" {
			continue
		}
		var same []string
		for k, v := range f.Strings {
			if v == en[k] {
				same = append(same, k)
				if !sameAsEnglish[k] {
					t.Errorf("%s: %q is an English copy (%q)", name, k, v)
				}
			}
		}
		if len(same) > maxSameAsEnglish {
			t.Errorf("%s: %d strings equal English: %v", name, len(same), same)
		}
	}
}

func TestLanguageMeta(t *testing.T) {
	rtl := map[string]bool{"arabic": true, "farsi": true, "hebrew": true}
	ref := time.Date(2026, 11, 27, 14, 5, 0, 0, time.UTC)
	seen := map[string]string{}
	for _, name := range Languages {
		m := readShipped(t, name).Meta
		if (m.Dir == "rtl") != rtl[name] {
			t.Errorf("%s: dir %q", name, m.Dir)
		}
		if other, dup := seen[m.Locale]; dup {
			t.Errorf("%s and %s share locale %q", name, other, m.Locale)
		}
		seen[m.Locale] = name
		if m.Decimal == m.Group {
			t.Errorf("%s: decimal and group separators are both %q", name, m.Decimal)
		}
		date := ref.Format(m.DateFormat)
		if !strings.Contains(date, "2026") || !strings.Contains(date, "27") || !strings.Contains(date, "11") && !strings.Contains(date, "Nov") {
			t.Errorf("%s: dateFormat %q gives %q", name, m.DateFormat, date)
		}
		if got := ref.Format(m.TimeFormat); !strings.Contains(got, "14") || !strings.Contains(got, "05") {
			t.Errorf("%s: timeFormat %q gives %q", name, m.TimeFormat, got)
		}
		if got := ref.Format(m.DayFormat); !strings.Contains(got, "27") || strings.Contains(got, "2026") {
			t.Errorf("%s: dayFormat %q gives %q", name, m.DayFormat, got)
		}
		if got := ref.Format(m.MonthFormat); !strings.Contains(got, "2026") || strings.Contains(got, "27") {
			t.Errorf("%s: monthFormat %q gives %q", name, m.MonthFormat, got)
		}
	}
}

// The language files are plain JSON a translator can edit: no field outside
// meta and strings.
func TestLanguageFilesAreStrictJSON(t *testing.T) {
	for _, name := range Languages {
		data, err := fs.ReadFile(puqminio.Assets, "lang/"+name+".json")
		if err != nil {
			t.Fatal(err)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(top) != 2 {
			t.Errorf("%s: top-level fields %d, want meta and strings", name, len(top))
		}
	}
}
