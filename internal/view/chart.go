package view

import (
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Chart geometry in SVG user units; the SVG scales to its container's width
// through its viewBox.
const (
	chartW      = 640
	chartH      = 240
	chartLeft   = 64 // room for the tick labels
	chartRight  = 8
	chartTop    = 34 // room for the focus readout above the tallest bar
	chartBottom = 28 // room for the date labels
	plotW       = chartW - chartLeft - chartRight
	plotH       = chartH - chartTop - chartBottom
	maxXLabels  = 7
	dailyBars   = 30 // the daily chart's days
	monthlyBars = 12 // the monthly chart's months
)

// chartView is one bar chart, every coordinate already computed so the
// template only prints.
type chartView struct {
	ID       string // unique within the page, for aria references
	Title    string
	Unit     string
	W, H     int
	Left     int
	TickX    int // right end of the tick labels
	Right    int // x of the plot's right edge
	Top      int // y of the plot's top edge
	Bottom   int // y of the x axis
	PlotH    int
	TopBytes int64 // the value at the top of the axis, in bytes
	Ticks    []tick
	Bars     []bar
	Limit    *tick // the disk limit as a line, when it fits on the axis
}

// tick is a horizontal grid line with its label.
type tick struct {
	Y     string
	Label string
}

// bar is one measurement.
type bar struct {
	Bytes       int64
	X, Y, W, H  string
	LabelX      string // where the date label sits
	LabelAnchor string // start, middle or end: labels at the edges stay inside
	When        string // the date as text
	Value       string // the value with its unit
	ShowLabel   bool
	Sparse      bool   // hidden on narrow screens, so labels do not collide
	TipX, TipW  string // the focus readout's box
	TipTextX    string
}

// fmtCoord prints a coordinate with at most two decimals.
func fmtCoord(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// niceStep returns a round step (1, 2, 2.5 or 5 times a power of ten) that
// divides max into about four parts.
func niceStep(max float64) float64 {
	raw := max / 4
	exp := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= f*exp {
			return f * exp
		}
	}
	return 10 * exp
}

// decimalsFor returns how many decimals print step without rounding.
func decimalsFor(step float64) int {
	for d := 0; d < 8; d++ {
		p := step * math.Pow(10, float64(d))
		if math.Abs(p-math.Round(p)) < 1e-6*p {
			return d
		}
	}
	return 8
}

// buildChart lays points out as bars. when formats a point's date; the
// points are drawn oldest first whatever their order, and only the newest
// keep of them, so a longer history passed in cannot crowd the chart.
func buildChart(l *locale, id, title string, pts []Point, keep int, unit string, unitBytes, limitBytes int64, when func(time.Time) string) chartView {
	c := chartView{ID: id, Title: title, Unit: unit, W: chartW, H: chartH, Left: chartLeft,
		TickX: chartLeft - 8, Right: chartW - chartRight, Top: chartTop, Bottom: chartTop + plotH, PlotH: plotH}
	pts = slices.Clone(pts)
	slices.SortStableFunc(pts, func(a, b Point) int { return a.At.Compare(b.At) })
	if len(pts) > keep {
		pts = pts[len(pts)-keep:]
	}

	var maxBytes int64
	for _, p := range pts {
		maxBytes = max(maxBytes, p.Bytes)
	}
	maxV := float64(maxBytes) / float64(unitBytes)
	if maxV <= 0 {
		maxV = 1
	}
	step := niceStep(maxV)
	steps := math.Ceil(maxV/step - 1e-9)
	top := steps * step
	c.TopBytes = int64(math.Round(top * float64(unitBytes)))
	dec := decimalsFor(step)
	for i := 0; i <= int(steps); i++ {
		v := float64(i) * step
		c.Ticks = append(c.Ticks, tick{
			Y:     fmtCoord(float64(c.Bottom) - v/top*plotH),
			Label: l.Number(v, dec),
		})
	}
	if limitBytes > 0 && limitBytes <= c.TopBytes {
		y := float64(c.Bottom) - float64(limitBytes)/float64(c.TopBytes)*plotH
		c.Limit = &tick{Y: fmtCoord(y), Label: l.InUnit(limitBytes, unit, unitBytes)}
	}

	n := len(pts)
	if n == 0 {
		return c
	}
	slot := float64(plotW) / float64(n)
	every := (n + maxXLabels - 1) / maxXLabels
	for i, p := range pts {
		h := float64(max(p.Bytes, 0)) / float64(c.TopBytes) * plotH
		x := chartLeft + float64(i)*slot + slot*0.15
		cx := chartLeft + (float64(i)+0.5)*slot
		b := bar{
			Bytes: p.Bytes,
			X:     fmtCoord(x), W: fmtCoord(slot * 0.7),
			Y: fmtCoord(float64(c.Bottom) - h), H: fmtCoord(h),
			When:      when(p.At),
			Value:     l.InUnit(p.Bytes, unit, unitBytes),
			ShowLabel: (n-1-i)%every == 0,
			// Every other label gives way on narrow screens, where the
			// text is larger relative to the drawing.
			Sparse: ((n-1-i)/every)%2 == 1,
		}
		// A date label is centred under its bar unless that would push it
		// past an edge of the drawing.
		labelW := float64(utf8.RuneCountInString(b.When)) * 8
		switch {
		case cx+labelW/2 > chartW-2:
			b.LabelX, b.LabelAnchor = fmtCoord(chartW-2), "end"
		case cx-labelW/2 < 2:
			b.LabelX, b.LabelAnchor = "2", "start"
		default:
			b.LabelX, b.LabelAnchor = fmtCoord(cx), "middle"
		}
		// The readout sits above the plot, centred on the bar but kept
		// inside the drawing; its width follows the text's length.
		tipW := float64(utf8.RuneCountInString(b.When+": "+b.Value))*7 + 16
		tipX := min(max(cx-tipW/2, 2), chartW-tipW-2)
		b.TipX, b.TipW, b.TipTextX = fmtCoord(tipX), fmtCoord(tipW), fmtCoord(tipX+tipW/2)
		c.Bars = append(c.Bars, b)
	}
	return c
}

// chartArgs is what the chart template receives: a chart and the locale its
// fixed strings are in.
type chartArgs struct {
	C chartView
	L *locale
}

// With pairs a chart with the locale, for {{template "chart" (.With .Daily)}}.
func (l *locale) With(c chartView) chartArgs { return chartArgs{C: c, L: l} }
