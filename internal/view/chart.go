package view

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/puqminios3/puqminio/internal/domain"
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
// template only prints. A chart draws one or more series: each bar is a
// date with one column per series, side by side.
type chartView struct {
	ID        string // unique within the page, for aria references
	Title     string
	Unit      string
	UnitLabel string // "Disk usage in GB", above the axis
	W, H      int
	Left      int
	TickX     int // right end of the tick labels
	Right     int // x of the plot's right edge
	Top       int // y of the plot's top edge
	Bottom    int // y of the x axis
	PlotH     int
	TopBytes  int64 // the value at the top of the axis, in bytes
	Ticks     []tick
	Bars      []bar
	Series    []chartSeries
	Legend    bool  // more than one series: name them under the chart
	Limit     *tick // a limit as a line, when it fits on the axis
	LimitName string
	NoData    string // what an empty chart says
}

// chartSeries is one series of a chart: the class of its columns and its
// name, for the legend and the table screen readers get.
type chartSeries struct {
	Class string
	Name  string
}

// tick is a horizontal grid line with its label.
type tick struct {
	Y     string
	Label string
}

// bar is one date: a column per series.
type bar struct {
	Cols        []column
	X, W        string // the bar's slot, for the focus and hover area
	LabelX      string // where the date label sits
	LabelAnchor string // start, middle or end: labels at the edges stay inside
	When        string // the date as text
	Value       string // every column's value with its unit, for the readout
	ShowLabel   bool
	Sparse      bool   // hidden on narrow screens, so labels do not collide
	TipX, TipW  string // the focus readout's box
	TipTextX    string
}

// column is one series' value on one date.
type column struct {
	Class      string // the series' class
	Bytes      int64
	X, Y, W, H string
	Value      string // the value with its unit
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

// slot is one date of a chart with a value per series.
type slot struct {
	At     time.Time
	Values []int64
}

// buildChart lays points out as bars of one series, the disk usage. when
// formats a point's date; the points are drawn oldest first whatever their
// order, and only the newest keep of them, so a longer history passed in
// cannot crowd the chart.
func buildChart(l *locale, id, title string, pts []Point, keep int, unit string, unitBytes, limitBytes int64, when func(time.Time) string) chartView {
	slots := make([]slot, len(pts))
	for i, p := range pts {
		slots[i] = slot{At: p.At, Values: []int64{p.Bytes}}
	}
	name, _ := l.T("usage")
	unitLabel, _ := l.T("chartIn", unit)
	limitName, _ := l.T("limit")
	c := buildSeriesChart(l, id, title, unitLabel, []chartSeries{{Class: "puqs3-col-used", Name: name}}, slots, keep, unit, unitBytes, limitBytes, limitName, when)
	c.NoData, _ = l.T("noData")
	return c
}

// buildSeriesChart lays slots out as bars with a column per series, on an
// axis in unit (unitBytes each) from 0 to a round number at or above the
// largest value. limitBytes, when positive and on the axis, is drawn as a
// line named limitName.
func buildSeriesChart(l *locale, id, title, unitLabel string, series []chartSeries, slots []slot, keep int, unit string, unitBytes, limitBytes int64, limitName string, when func(time.Time) string) chartView {
	c := chartView{ID: id, Title: title, Unit: unit, UnitLabel: unitLabel, W: chartW, H: chartH, Left: chartLeft,
		TickX: chartLeft - 8, Right: chartW - chartRight, Top: chartTop, Bottom: chartTop + plotH, PlotH: plotH,
		Series: series, Legend: len(series) > 1, LimitName: limitName}
	slots = slices.Clone(slots)
	slices.SortStableFunc(slots, func(a, b slot) int { return a.At.Compare(b.At) })
	if len(slots) > keep {
		slots = slots[len(slots)-keep:]
	}

	var maxBytes int64
	for _, s := range slots {
		for _, v := range s.Values {
			maxBytes = max(maxBytes, v)
		}
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

	n := len(slots)
	if n == 0 {
		return c
	}
	slotW := float64(plotW) / float64(n)
	colW := slotW * 0.7 / float64(len(series))
	every := (n + maxXLabels - 1) / maxXLabels
	for i, s := range slots {
		x := chartLeft + float64(i)*slotW + slotW*0.15
		cx := chartLeft + (float64(i)+0.5)*slotW
		b := bar{
			X: fmtCoord(x), W: fmtCoord(slotW * 0.7),
			When:      when(s.At),
			ShowLabel: (n-1-i)%every == 0,
			// Every other label gives way on narrow screens, where the
			// text is larger relative to the drawing.
			Sparse: ((n-1-i)/every)%2 == 1,
		}
		var values []string
		for k, se := range series {
			v := s.Values[k]
			h := float64(max(v, 0)) / float64(c.TopBytes) * plotH
			col := column{Class: se.Class, Bytes: v, X: fmtCoord(x + float64(k)*colW), W: fmtCoord(colW),
				Y: fmtCoord(float64(c.Bottom) - h), H: fmtCoord(h), Value: l.InUnit(v, unit, unitBytes)}
			b.Cols = append(b.Cols, col)
			if len(series) > 1 {
				values = append(values, se.Name+" "+col.Value)
			} else {
				values = append(values, col.Value)
			}
		}
		b.Value = strings.Join(values, " · ")
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
		tipW := min(float64(utf8.RuneCountInString(b.When+": "+b.Value))*7+16, chartW-4)
		tipX := min(max(cx-tipW/2, 2), chartW-tipW-2)
		b.TipX, b.TipW, b.TipTextX = fmtCoord(tipX), fmtCoord(tipW), fmtCoord(tipX+tipW/2)
		c.Bars = append(c.Bars, b)
	}
	return c
}

// trafficUnit picks the binary unit a traffic chart's axis is in: the
// largest, from MB up, in which the largest value is at least one.
func trafficUnit(maxBytes int64) (string, int64) {
	name, size := "MB", int64(1)<<20
	for _, u := range domain.Units() {
		if b, _ := domain.UnitSize(u); b <= maxBytes && b > size {
			name, size = u, b
		}
	}
	return name, size
}

// buildTrafficChart lays traffic points out as bars of two columns,
// downloaded (egress) and uploaded (ingress), in a unit that suits their
// size. allowanceBytes, when positive, is drawn as the allowance line.
func buildTrafficChart(l *locale, id, title string, pts []TrafficPoint, keep int, allowanceBytes int64, when func(time.Time) string) chartView {
	slots := make([]slot, len(pts))
	var maxBytes int64
	for i, p := range pts {
		slots[i] = slot{At: p.At, Values: []int64{p.Egress, p.Ingress}}
		maxBytes = max(maxBytes, p.Egress, p.Ingress)
	}
	unit, unitBytes := trafficUnit(maxBytes)
	out, _ := l.T("trafficEgress")
	in, _ := l.T("trafficIngress")
	unitLabel, _ := l.T("trafficChartIn", unit)
	limitName, _ := l.T("trafficAllowanceLine")
	series := []chartSeries{{Class: "puqs3-col-out", Name: out}, {Class: "puqs3-col-in", Name: in}}
	c := buildSeriesChart(l, id, title, unitLabel, series, slots, keep, unit, unitBytes, allowanceBytes, limitName, when)
	c.NoData, _ = l.T("trafficNoData")
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
