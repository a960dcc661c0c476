package refresh_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/cost"
	"github.com/classla/gantry/internal/cost/refresh"
)

func TestEncodeWritesTheCatalogFileFormat(t *testing.T) {
	t.Parallel()
	c := &cost.Catalog{Format: 1, Currency: "USD", EffectiveDate: "2027-01-01", HoursPerMonth: 730,
		Regions: map[string]cost.Region{"us-east-1": {Prices: map[string]cost.Price{
			"route53.zone.months": {USD: 0.5, Unit: "zone-month", Tiers: []cost.Tier{{UpTo: 25, USD: 0.5}, {USD: 0.1}},
				Source: cost.Source{ServiceCode: "AmazonRoute53", Filters: map[string]string{"productFamily": "DNS Zone"}, UsageTypeContains: "HostedZone"}},
			"cloudwatch.dashboard.months": {USD: 3, Unit: "dashboard-month",
				Source: cost.Source{ServiceCode: "AmazonCloudWatch", Filters: map[string]string{}}},
		}}}}
	// Keys sorted at every level, two-space indent, money with a decimal point, a final newline.
	want := `{
  "currency": "USD",
  "effective_date": "2027-01-01",
  "format": 1,
  "hours_per_month": 730,
  "regions": {
    "us-east-1": {
      "prices": {
        "cloudwatch.dashboard.months": {
          "source": {
            "filters": {},
            "service_code": "AmazonCloudWatch"
          },
          "unit": "dashboard-month",
          "usd": 3.0
        },
        "route53.zone.months": {
          "source": {
            "filters": {
              "productFamily": "DNS Zone"
            },
            "service_code": "AmazonRoute53",
            "usagetype_contains": "HostedZone"
          },
          "tiers": [
            {
              "up_to": 25,
              "usd": 0.5
            },
            {
              "up_to": 0,
              "usd": 0.1
            }
          ],
          "unit": "zone-month",
          "usd": 0.5
        }
      }
    }
  }
}
`
	got, err := refresh.Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("encoded catalog (-want +got):\n%s", diff)
	}
}

func TestWriteOfAnUnchangedCatalogReproducesTheEmbeddedFile(t *testing.T) {
	t.Parallel()
	// So that the diff of a refresh shows only the prices that changed.
	want, err := os.ReadFile("../catalog/aws.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "aws.json")
	if err := refresh.Write(embedded(t), path); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("written catalog differs from the embedded file (-embedded +written):\n%s", diff)
	}
}

func TestWriteRefusesACatalogGantryCouldNotLoad(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "aws.json")
	old := []byte("the catalog before\n")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	broken := embedded(t)
	delete(broken.Regions["us-east-1"].Prices, cost.KeyNATGatewayHours)
	err := refresh.Write(broken, path)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(cost.KeyNATGatewayHours)) {
		t.Errorf("Write = %v, want an error naming the missing %s", err, cost.KeyNATGatewayHours)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("the file was changed to %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("the directory holds %d entries, want only the catalog (no temporary file left)", len(entries))
	}
}
