package cost

import (
	"strings"
	"unicode/utf8"
)

// Table is the estimate as `gantry cost --format table` prints it: every priced resource
// with its components, their quantities and unit prices, before, after and the change,
// then the totals, the free and unpriced resources and the catalog.
func (e *Estimate) Table() string {
	rows := [][]string{{"RESOURCE / COMPONENT", "QUANTITY", "UNIT", "UNIT PRICE", "BEFORE", "AFTER", "CHANGE"}}
	for _, r := range e.Resources {
		rows = append(rows, []string{r.Address + " (" + r.Action + ")", "", "", "", sideCost(r, true), sideCost(r, false), formatDelta(r.MonthlyDelta)})
		rows = append(rows, componentRows(r)...)
	}
	total := formatDelta(e.MonthlyDelta)
	if e.PercentDelta != nil {
		total += " (" + formatPercent(*e.PercentDelta) + ")"
	}
	rows = append(rows, []string{"TOTAL", "", "", "", formatMoney(e.MonthlyBefore), formatMoney(e.MonthlyAfter), total})
	var b strings.Builder
	b.WriteString(alignColumns(rows, "  ", []bool{false, true, false, true, true, true, true}))
	b.WriteString("\n" + headline(e, "", "") + "\n")
	if len(e.UnpricedDetails) > 0 {
		b.WriteString("\nNot priced:\n")
		for _, u := range e.UnpricedDetails {
			b.WriteString("  " + u.Address + ": " + u.Reason + "\n")
		}
	}
	for _, r := range e.Resources {
		for _, n := range r.Notes {
			if len(r.Notes) > 0 && n == r.Notes[0] {
				b.WriteString("\nNote on " + r.Address + ":\n")
			}
			b.WriteString("  " + n + "\n")
		}
	}
	b.WriteString("\n" + footer(e) + ".\n")
	return b.String()
}

// componentRows lists a resource's components, each with its cost on both sides.
func componentRows(r Resource) [][]string {
	before, after := r.ComponentsBefore, r.Components
	switch {
	case r.Action == "delete":
		before, after = r.Components, nil
	case r.Action == "create":
		before = nil
	case before == nil:
		before = after
	}
	byName := map[string]Component{}
	for _, c := range before {
		byName[c.Name] = c
	}
	var rows [][]string
	seen := map[string]bool{}
	row := func(c Component, b, a *Component) []string {
		qty := formatNumber(c.Quantity)
		if c.UnknownUsage() {
			qty = "depends on usage"
		}
		return []string{"  " + c.Name, qty, c.Unit, formatUnitPrice(c.UnitPrice) + "/" + c.PriceUnit, componentCost(b), componentCost(a), componentDelta(b, a)}
	}
	for _, c := range after {
		seen[c.Name] = true
		var b *Component
		if old, ok := byName[c.Name]; ok {
			b = &old
		}
		rows = append(rows, row(c, b, &c))
	}
	for _, c := range before {
		if !seen[c.Name] {
			rows = append(rows, row(c, &c, nil))
		}
	}
	return rows
}

func componentCost(c *Component) string {
	switch {
	case c == nil:
		return "—"
	case c.UnknownUsage():
		return "?"
	}
	return formatMoney(c.MonthlyCost)
}

func componentDelta(b, a *Component) string {
	if (b != nil && b.UnknownUsage()) || (a != nil && a.UnknownUsage()) {
		return ""
	}
	var d float64
	if a != nil {
		d += a.MonthlyCost
	}
	if b != nil {
		d -= b.MonthlyCost
	}
	return formatDelta(d)
}

// alignColumns pads cells into columns, right-aligning those marked.
func alignColumns(rows [][]string, gap string, right []bool) string {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString(gap)
			}
			if i < len(right) && right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	return b.String()
}
