package cost

import (
	"math"
	"strconv"
	"strings"
)

// minus is the real minus sign: a hyphen reads as a dash next to a dollar sign.
const minus = "\u2212"

// formatMoney writes an amount in dollars and cents with thousands separators:
// "$1,234.56", "−$36.50".
func formatMoney(v float64) string {
	cents := math.Round(math.Abs(v) * 100)
	s := "$" + groupThousands(strconv.FormatFloat(cents/100, 'f', 2, 64))
	if v < 0 && cents != 0 {
		return minus + s
	}
	return s
}

// formatDelta writes a change with its sign: "+$2.50", "−$36.50", "$0.00".
func formatDelta(v float64) string {
	if math.Round(math.Abs(v)*100) == 0 {
		return "$0.00"
	}
	if v > 0 {
		return "+" + formatMoney(v)
	}
	return formatMoney(v)
}

// formatPercent writes a percentage with its sign, whole above 1 %, to a tenth below.
func formatPercent(p float64) string {
	sign := "+"
	if p < 0 {
		sign = minus
	}
	a := math.Abs(p)
	switch {
	case a >= 0.95:
		return sign + groupThousands(strconv.FormatFloat(math.Round(a), 'f', 0, 64)) + "%"
	case a >= 0.05:
		return sign + strconv.FormatFloat(a, 'f', 1, 64) + "%"
	default:
		return sign + "<0.1%"
	}
}

// formatNumber writes a quantity with at most four decimals and no trailing zeros:
// "730", "1,095", "0.5", "1.3699".
func formatNumber(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	neg := strings.HasPrefix(s, "-")
	s = groupThousands(strings.TrimPrefix(s, "-"))
	if neg {
		return minus + s
	}
	return s
}

// formatUnitPrice writes a unit price with as many decimals as it has (at least two):
// "$0.045", "$0.004445", "$5.00".
func formatUnitPrice(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i < 0 {
		s += ".00"
	} else if len(s)-i == 2 {
		s += "0"
	}
	return "$" + groupThousands(s)
}

// groupThousands puts commas into the integer part of a non-negative decimal number.
func groupThousands(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) <= 3 {
		return s
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}
