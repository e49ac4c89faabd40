package view

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/puqminios3/puqminio/internal/domain"
)

// unitOf returns the unit name and its size in bytes (internal/domain's
// binary units), the default unit when unknown.
func unitOf(u Usage) (string, int64) {
	name := strings.ToUpper(strings.TrimSpace(u.Unit))
	size, ok := domain.UnitSize(name)
	if !ok {
		name = domain.DefaultUnit
		size, _ = domain.UnitSize(name)
	}
	if u.UnitBytes > 0 {
		size = u.UnitBytes
	}
	return name, size
}

// Number formats v with d decimals and the locale's separators.
func (l *locale) Number(v float64, d int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', d, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(l.Group)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(l.Decimal)
		b.WriteString(frac)
	}
	return b.String()
}

// Count formats an integer count with the locale's grouping.
func (l *locale) Count(n int64) string { return l.Number(float64(n), 0) }

// InUnit formats bytes in the product unit with two decimals, e.g. "5,00 GB".
func (l *locale) InUnit(bytes int64, unit string, unitBytes int64) string {
	return l.Number(float64(bytes)/float64(unitBytes), 2) + "\u00a0" + unit
}

// Bytes formats a size in the largest binary unit that keeps it at or above
// one, so a small bucket reads "12,3 MB" rather than "0,01 GB".
func (l *locale) Bytes(n int64) string {
	if n < 1024 {
		return l.Count(n) + "\u00a0B"
	}
	units := []string{"KB", "MB", "GB", "TB", "PB", "EB"}
	v := float64(n) / 1024
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return l.Number(v, 1) + "\u00a0" + units[i]
}

// Date formats t as a date in the locale's form.
func (l *locale) Date(t time.Time) string { return t.Format(l.DateFormat) }

// DateTime formats t as date, time and zone, e.g. "27.11.2026 02:00 UTC".
func (l *locale) DateTime(t time.Time) string {
	return t.Format(l.DateFormat + " " + l.TimeFormat + " MST")
}

// Int formats a small integer with the locale's grouping.
func (l *locale) Int(n int) string { return l.Number(float64(n), 0) }
