package cost

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Section is the cost section of a plan comment. It implements render.Cost.
type Section struct {
	e *Estimate
}

// Section returns the estimate's section for a plan comment.
func (e *Estimate) Section() Section { return Section{e: e} }

// Markdown is the section alone, as `gantry cost --format markdown` prints it.
func (e *Estimate) Markdown() string { return e.Section().Markdown() }

// Limits keep a comment readable on a plan of thousands of resources.
const (
	maxTableRows   = 25
	maxDetailLines = 40
)

// Markdown is the section as the pull-request comment shows it: the headline, a table of
// the resources whose cost changes, and the details (usage-priced components, component
// changes, unpriced resources, the catalog) collapsed.
func (s Section) Markdown() string {
	e := s.e
	if e == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("#### 💰 " + headline(e, "**", "**") + "\n")
	if rows := changedResources(e); len(rows) > 0 {
		b.WriteString("\n| resource | before | after | change |\n|---|---:|---:|---:|\n")
		for i, r := range rows {
			if i == maxTableRows {
				rest := rows[i:]
				fmt.Fprintf(&b, "| … and %d more | | | %s |\n", len(rest), formatDelta(sumDelta(rest)))
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(r.Address), sideCost(r, true), sideCost(r, false), formatDelta(r.MonthlyDelta))
		}
	}
	usage := usageLines(e, mdCode)
	fmt.Fprintf(&b, "\n<details><summary>%s, %s</summary>\n\n", plural(len(usage), "usage-priced component"), plural(len(e.Unpriced), "unpriced resource"))
	writeList(&b, usage)
	if changes := componentChangeLines(e, mdCode); len(changes) > 0 {
		b.WriteString("\n**What changes**\n\n")
		writeList(&b, changes)
	}
	if len(e.UnpricedDetails) > 0 {
		b.WriteString("\n**Not priced**\n\n")
		var lines []string
		for _, u := range e.UnpricedDetails {
			lines = append(lines, mdCode(u.Address)+": "+mdText(u.Reason))
		}
		writeList(&b, lines)
	}
	b.WriteString("\n" + footer(e) + "\n\n</details>\n")
	return b.String()
}

// Text is the section for a terminal (`gantry plan --format text`).
func (s Section) Text() string {
	e := s.e
	if e == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(headline(e, "", "") + "\n")
	var rows [][]string
	changed := changedResources(e)
	for i, r := range changed {
		if i == maxTableRows {
			rows = append(rows, []string{fmt.Sprintf("… and %d more", len(changed)-i), "", "", formatDelta(sumDelta(changed[i:]))})
			break
		}
		rows = append(rows, []string{r.Address, sideCost(r, true), sideCost(r, false), formatDelta(r.MonthlyDelta)})
	}
	if len(rows) > 0 {
		b.WriteString(alignColumns(rows, "  ", []bool{false, true, true, true}))
	}
	usage := usageLines(e, plainCode)
	fmt.Fprintf(&b, "%s, %s; %s\n", plural(len(usage), "usage-priced component"), plural(len(e.Unpriced), "unpriced resource"), footer(e))
	return b.String()
}

// headline answers what the plan does to the monthly cost in one line.
func headline(e *Estimate, strongOpen, strongClose string) string {
	if math.Round(math.Abs(e.MonthlyDelta)*100) == 0 {
		return "No change in monthly cost: " + strongOpen + formatMoney(e.MonthlyAfter) + strongClose
	}
	change := formatDelta(e.MonthlyDelta)
	if e.PercentDelta != nil {
		change += ", " + formatPercent(*e.PercentDelta)
	}
	return fmt.Sprintf("Monthly cost: %s%s → %s (%s)%s", strongOpen, formatMoney(e.MonthlyBefore), formatMoney(e.MonthlyAfter), change, strongClose)
}

// changedResources are those whose monthly cost changes by a cent or more, largest
// change first.
func changedResources(e *Estimate) []Resource {
	var out []Resource
	for _, r := range e.Resources {
		if math.Round(math.Abs(r.MonthlyDelta)*100) != 0 {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Resource) int {
		return cmp.Compare(math.Abs(b.MonthlyDelta), math.Abs(a.MonthlyDelta))
	})
	return out
}

func sumDelta(rs []Resource) float64 {
	var d float64
	for _, r := range rs {
		d += r.MonthlyDelta
	}
	return d
}

// sideCost is a resource's cost on one side, or "—" where it does not exist.
func sideCost(r Resource, before bool) string {
	if (before && r.Action == "create") || (!before && r.Action == "delete") {
		return "—"
	}
	if before {
		return formatMoney(r.MonthlyBefore)
	}
	return formatMoney(r.MonthlyAfter)
}

// usageLines describe every usage-priced component: the usage assumed and its cost, or
// the price it depends on.
func usageLines(e *Estimate, code func(string) string) []string {
	var lines []string
	for _, r := range e.Resources {
		for _, c := range r.Components {
			if !c.UsageBased || (r.Action == "delete" && !c.UsageKnown) {
				continue // what a removed resource would have used no longer matters
			}
			lines = append(lines, code(r.Address)+" "+c.Name+": "+usageText(c))
		}
	}
	return lines
}

func usageText(c Component) string {
	if !c.UsageKnown {
		return fmt.Sprintf("depends on usage, %s per %s", formatUnitPrice(c.UnitPrice), c.PriceUnit)
	}
	return fmt.Sprintf("%s %s assumed (%s) → %s", formatNumber(c.Quantity), c.Unit, c.UsageSource, formatMoney(c.MonthlyCost))
}

// componentChangeLines explain the resources that change in place or are replaced, one
// component at a time.
func componentChangeLines(e *Estimate, code func(string) string) []string {
	var lines []string
	for _, r := range e.Resources {
		if r.Action == "create" || r.Action == "delete" {
			continue
		}
		for _, ch := range r.Changes() {
			lines = append(lines, code(r.Address)+" "+ch.Name+": "+componentChangeText(ch))
		}
	}
	return lines
}

func componentChangeText(ch ComponentChange) string {
	switch {
	case ch.Before == nil:
		return "added, " + quantityText(*ch.After)
	case ch.After == nil:
		return "removed, " + quantityText(*ch.Before)
	}
	return fmt.Sprintf("%s → %s (%s)", quantityText(*ch.Before), quantityText(*ch.After), formatDelta(ch.After.MonthlyCost-ch.Before.MonthlyCost))
}

func quantityText(c Component) string {
	if c.UnknownUsage() {
		return "depends on usage"
	}
	return fmt.Sprintf("%s %s × %s = %s", formatNumber(c.Quantity), c.Unit, formatUnitPrice(c.UnitPrice), formatMoney(c.MonthlyCost))
}

func footer(e *Estimate) string {
	return fmt.Sprintf("%s; list prices of %s (AWS price catalog), %s hours a month, free tiers not subtracted",
		plural(len(e.Free), "free resource"), e.CatalogDate, formatNumber(e.HoursPerMonth))
}

func writeList(b *strings.Builder, lines []string) {
	for i, l := range lines {
		if i == maxDetailLines {
			fmt.Fprintf(b, "- … and %d more\n", len(lines)-i)
			return
		}
		b.WriteString("- " + l + "\n")
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%s %ss", formatNumber(float64(n)), noun)
}

// mdCode writes an address as inline code that survives a table cell: pipes escaped,
// a fence longer than any run of backticks inside.
func mdCode(s string) string {
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText escapes text written into Markdown so it cannot open HTML or break a table.
func mdText(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", `\|`, "\n", " ").Replace(s)
}

func plainCode(s string) string { return s }
