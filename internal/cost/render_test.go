package cost

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classla/gantry/internal/render"
)

var update = flag.Bool("update", false, "rewrite the golden files of the cost section and tables")

func TestMoneyIsWrittenForPeople(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, got, want string
	}{
		{"thousands are separated", formatMoney(1234567.891), "$1,234,567.89"},
		{"a negative amount takes a real minus sign", formatMoney(-36.5), "\u2212$36.50"},
		{"an increase is signed", formatDelta(2.5), "+$2.50"},
		{"a saving is signed with a minus", formatDelta(-1036.5), "\u2212$1,036.50"},
		{"less than half a cent is no change", formatDelta(0.004), "$0.00"},
		{"a percentage is whole", formatPercent(-19.45), "\u221219%"},
		{"a small percentage keeps a decimal", formatPercent(0.34), "+0.3%"},
		{"a tiny percentage is not shown as zero", formatPercent(0.001), "+<0.1%"},
		{"a unit price keeps its digits", formatUnitPrice(0.004445), "$0.004445"},
		{"a whole unit price shows cents", formatUnitPrice(5), "$5.00"},
		{"a quantity drops trailing zeros", formatNumber(1460), "1,460"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestTheHeadlineSaysWhatTheMonthlyCostDoes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		plan []byte
		want string
	}{
		{
			// $73.00 → $36.50: −$36.50, −50 %.
			"a saving shows both totals, the change and the percent", natRemovalPlan(t),
			"#### 💰 Monthly cost: **$73.00 → $36.50 (\u2212$36.50, \u221250%)**",
		},
		{
			// A NAT gateway from nothing: 730 h × $0.045 = $32.85; no percent from zero.
			"a cost from nothing leaves the percent out", planOf(t, "", create("aws_nat_gateway.a", `{}`)),
			"#### 💰 Monthly cost: **$0.00 → $32.85 (+$32.85)**",
		},
		{
			// 40 NAT gateways: 40 × $32.85 = $1,314.00.
			"thousands are separated", planOf(t, "", func() []string {
				var cs []string
				for i := range 40 {
					cs = append(cs, create(fmt.Sprintf("aws_nat_gateway.n[%d]", i), `{}`))
				}
				return cs
			}()...),
			"#### 💰 Monthly cost: **$0.00 → $1,314.00 (+$1,314.00)**",
		},
		{
			// An unchanged EIP: $3.65 on both sides.
			"an unchanged cost says so", planOf(t, "", noop("aws_eip.a", `{}`)),
			"#### 💰 No change in monthly cost: **$3.65**",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md := mustEstimate(t, tc.plan, nil).Markdown()
			if first, _, _ := strings.Cut(md, "\n"); first != tc.want {
				t.Errorf("headline = %q\nwant       %q", first, tc.want)
			}
		})
	}
}

func TestAnAddressCannotBreakTheTable(t *testing.T) {
	t.Parallel()
	e := mustEstimate(t, planOf(t, "", create("aws_eip.a[\"x|`y`\"]", `{}`)), nil)
	md := e.Markdown()
	if !strings.Contains(md, "| ``aws_eip.a[\"x\\|`y`\"]`` | — | $3.65 | +$3.65 |") {
		t.Errorf("row not escaped as expected:\n%s", md)
	}
}

// The golden files are what a reader sees; read them when they change (go test -update).
func TestGoldenOutputs(t *testing.T) {
	t.Parallel()
	plan, err := os.ReadFile("testdata/golden/pr.plan.json")
	if err != nil {
		t.Fatal(err)
	}
	usageFile, err := os.ReadFile("testdata/golden/pr.usage.yml")
	if err != nil {
		t.Fatal(err)
	}
	usage, _, err := ParseUsage(usageFile)
	if err != nil {
		t.Fatal(err)
	}
	usage.File = "cost-usage.yml"
	e := mustEstimate(t, plan, usage)
	js, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	same := mustEstimate(t, planOf(t, "", noop("aws_eip.a", `{}`), noop("aws_nat_gateway.b", `{}`)), nil)
	outputs := map[string]string{
		"pr.md":        e.Markdown(),
		"pr.txt":       e.Section().Text(),
		"pr.table.txt": e.Table(),
		"pr.json":      string(js) + "\n",
		"no_change.md": same.Markdown(),
	}
	for name, got := range outputs {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", name, path, got)
			}
		})
	}
}

// The plan comment takes the section through render.Cost.
var _ render.Cost = Section{}
