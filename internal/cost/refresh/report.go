package refresh

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/classla/gantry/internal/cost"
)

// Text is the report as `gantry prices refresh` prints it: a headline, then one line per changed
// price and one per price kept from the base catalog, with why.
func (r Report) Text() string {
	var b strings.Builder
	counts := []string{
		plural(len(r.Changed), "changed"), plural(r.Unchanged, "unchanged"), plural(len(r.Kept), "kept from the old catalog"),
	}
	if r.Added > 0 {
		counts = append(counts, plural(r.Added, "added"))
	}
	fmt.Fprintf(&b, "Prices of %s, effective %s: %s.\n", r.Region, r.EffectiveDate, strings.Join(counts, ", "))
	for _, c := range r.Changed {
		fmt.Fprintf(&b, "  changed  %s: %s → %s\n", c.Key, money(c.Old), money(c.New))
	}
	for _, k := range r.Kept {
		fmt.Fprintf(&b, "  warning  %s kept at its old price: %s\n", k.Key, k.Reason)
	}
	return b.String()
}

func plural(n int, what string) string { return strconv.Itoa(n) + " " + what }

// money shows a price with all its digits (list prices go below a cent) and its tiers.
func money(p cost.Price) string {
	s := "$" + strconv.FormatFloat(p.USD, 'f', -1, 64) + " per " + p.Unit
	if len(p.Tiers) == 0 {
		return s
	}
	tiers := make([]string, len(p.Tiers))
	for i, t := range p.Tiers {
		bound := "over"
		if t.UpTo > 0 {
			bound = "up to " + strconv.FormatFloat(t.UpTo, 'f', -1, 64)
		} else if i > 0 {
			bound += " " + strconv.FormatFloat(p.Tiers[i-1].UpTo, 'f', -1, 64)
		}
		tiers[i] = bound + ": $" + strconv.FormatFloat(t.USD, 'f', -1, 64)
	}
	return s + " (" + strings.Join(tiers, ", ") + ")"
}
