package awsfake_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	"github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/testing/awsfake"
)

func client(p *awsfake.Pricing, secret string) *pricing.Client {
	return pricing.New(pricing.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(p.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(awsfake.AccessKeyID, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func termMatch(field, value string) types.Filter {
	return types.Filter{Type: types.FilterTypeTermMatch, Field: aws.String(field), Value: aws.String(value)}
}

// document is the shape of a PriceList entry as AWS documents it.
type document struct {
	Product struct {
		ProductFamily string            `json:"productFamily"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	} `json:"product"`
	ServiceCode string `json:"serviceCode"`
	Terms       struct {
		OnDemand map[string]struct {
			SKU             string `json:"sku"`
			EffectiveDate   string `json:"effectiveDate"`
			OfferTermCode   string `json:"offerTermCode"`
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				BeginRange   string            `json:"beginRange"`
				EndRange     string            `json:"endRange"`
				RateCode     string            `json:"rateCode"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

type dim struct{ Unit, Begin, End, USD string }

// dims flattens a document's OnDemand dimensions, checking the key structure AWS uses:
// terms.OnDemand["SKU.OFFERTERM"].priceDimensions["SKU.OFFERTERM.RATE"].
func dims(t *testing.T, raw string) (document, []dim) {
	t.Helper()
	var d document
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatalf("PriceList entry is not a JSON document: %v\n%s", err, raw)
	}
	var out []dim
	for termKey, term := range d.Terms.OnDemand {
		if termKey != d.Product.SKU+"."+term.OfferTermCode || term.SKU != d.Product.SKU || term.OfferTermCode != "JRTCKXETXF" {
			t.Errorf("OnDemand term key %q, sku %q, offerTermCode %q: want SKU.JRTCKXETXF of SKU %s", termKey, term.SKU, term.OfferTermCode, d.Product.SKU)
		}
		for rate, pd := range term.PriceDimensions {
			if rate != pd.RateCode || !strings.HasPrefix(rate, termKey+".") {
				t.Errorf("rate key %q, rateCode %q: want %s.RATE", rate, pd.RateCode, termKey)
			}
			out = append(out, dim{pd.Unit, pd.BeginRange, pd.EndRange, pd.PricePerUnit["USD"]})
		}
	}
	return d, out
}

func TestGetProductsThroughTheSDK(t *testing.T) {
	t.Parallel()
	p := awsfake.NewPricing(t)
	natAttrs := func(usagetype string) map[string]string {
		return map[string]string{"productFamily": "NAT Gateway", "usagetype": usagetype, "regionCode": "us-east-1", "location": "US East (N. Virginia)"}
	}
	p.AddProduct("AmazonEC2", natAttrs("USE1-NatGateway-Hours"), []awsfake.Dimension{{Unit: "Hrs", USD: 0.045}})
	p.AddProduct("AmazonEC2", natAttrs("USE1-NatGateway-Bytes"), []awsfake.Dimension{{Unit: "GB", USD: 0.045}})
	p.AddProduct("AmazonEC2", map[string]string{"productFamily": "NAT Gateway", "usagetype": "USW2-NatGateway-Hours", "regionCode": "us-west-2"}, []awsfake.Dimension{{Unit: "Hrs", USD: 0.045}})
	p.AddProduct("AmazonVPC", map[string]string{"productFamily": "VpcEndpoint", "usagetype": "USE1-VpcEndpoint-Bytes", "regionCode": "us-east-1"}, []awsfake.Dimension{
		{Unit: "GB", USD: 0.01, BeginRange: "0", EndRange: "1048576"},
		{Unit: "GB", USD: 0.006, BeginRange: "1048576", EndRange: "5242880"},
		{Unit: "GB", USD: 0.004, BeginRange: "5242880"},
	}, awsfake.EffectiveDate(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)))
	p.AddProduct("AmazonEC2", natAttrs("USE1-NatGateway-Hours-Regional"), []awsfake.Dimension{{Unit: "Hrs", USD: 0.05}})

	c := client(p, awsfake.SecretAccessKey)
	ctx := context.Background()

	t.Run("a filtered query returns only the matching products, over several pages", func(t *testing.T) {
		pages := pricing.NewGetProductsPaginator(c, &pricing.GetProductsInput{
			ServiceCode:   aws.String("AmazonEC2"),
			Filters:       []types.Filter{termMatch("productFamily", "NAT Gateway"), termMatch("regionCode", "us-east-1")},
			FormatVersion: aws.String("aws_v1"),
		})
		var usagetypes []string
		n := 0
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatalf("GetProducts: %v", err)
			}
			n++
			for _, raw := range page.PriceList {
				d, _ := dims(t, raw)
				usagetypes = append(usagetypes, d.Product.Attributes["usagetype"])
			}
		}
		// Three us-east-1 NAT products at two per page: two pages; us-west-2's and VPC's are left out.
		want := []string{"USE1-NatGateway-Hours", "USE1-NatGateway-Bytes", "USE1-NatGateway-Hours-Regional"}
		if diff := cmp.Diff(want, usagetypes); diff != "" || n != 2 {
			t.Errorf("got %d pages of %v, want 2 pages; (-want +got):\n%s", n, usagetypes, diff)
		}
	})

	t.Run("a product document has AWS's shape with prices to ten decimals", func(t *testing.T) {
		out, err := c.GetProducts(ctx, &pricing.GetProductsInput{
			ServiceCode: aws.String("AmazonEC2"),
			Filters:     []types.Filter{termMatch("usagetype", "USE1-NatGateway-Hours")},
		})
		if err != nil {
			t.Fatalf("GetProducts: %v", err)
		}
		if len(out.PriceList) != 1 || aws.ToString(out.FormatVersion) != "aws_v1" || out.NextToken != nil {
			t.Fatalf("got %d products, format %q, next token %v; want one aws_v1 product and no next page", len(out.PriceList), aws.ToString(out.FormatVersion), out.NextToken)
		}
		d, got := dims(t, out.PriceList[0])
		if d.ServiceCode != "AmazonEC2" || d.Product.ProductFamily != "NAT Gateway" || d.Product.Attributes["servicecode"] != "AmazonEC2" || len(d.Product.SKU) != 16 {
			t.Errorf("product = %+v, want family NAT Gateway, servicecode AmazonEC2 and a 16-character SKU", d.Product)
		}
		if _, inAttrs := d.Product.Attributes["productFamily"]; inAttrs {
			t.Errorf("productFamily is among the attributes; AWS keeps it beside them")
		}
		if diff := cmp.Diff([]dim{{"Hrs", "0", "Inf", "0.0450000000"}}, got); diff != "" {
			t.Errorf("dimensions (-want +got):\n%s", diff)
		}
	})

	t.Run("a tiered product lists one dimension per tier with its range", func(t *testing.T) {
		out, err := c.GetProducts(ctx, &pricing.GetProductsInput{
			ServiceCode: aws.String("AmazonVPC"),
			Filters:     []types.Filter{termMatch("usagetype", "USE1-VpcEndpoint-Bytes")},
		})
		if err != nil || len(out.PriceList) != 1 {
			t.Fatalf("GetProducts: %v, %d products; want one", err, len(out.PriceList))
		}
		d, got := dims(t, out.PriceList[0])
		want := map[string]dim{
			"0":       {"GB", "0", "1048576", "0.0100000000"},
			"1048576": {"GB", "1048576", "5242880", "0.0060000000"},
			"5242880": {"GB", "5242880", "Inf", "0.0040000000"},
		}
		byBegin := map[string]dim{}
		for _, g := range got {
			byBegin[g.Begin] = g
		}
		if diff := cmp.Diff(want, byBegin); diff != "" {
			t.Errorf("tiers (-want +got):\n%s", diff)
		}
		for _, term := range d.Terms.OnDemand {
			if term.EffectiveDate != "2027-02-01T00:00:00Z" {
				t.Errorf("effectiveDate = %q, want the product's 2027-02-01T00:00:00Z", term.EffectiveDate)
			}
		}
	})

	t.Run("MaxResults smaller than the page size wins", func(t *testing.T) {
		out, err := c.GetProducts(ctx, &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2"), MaxResults: aws.Int32(1)})
		if err != nil || len(out.PriceList) != 1 || out.NextToken == nil {
			t.Fatalf("GetProducts: %v, %d products, next token %v; want 1 product and a next page", err, len(out.PriceList), out.NextToken)
		}
	})

	t.Run("the SDK's headers are recorded", func(t *testing.T) {
		reqs := p.Requests()
		if len(reqs) == 0 {
			t.Fatal("no request recorded")
		}
		for _, r := range reqs {
			if r.Target != awsfake.PricingTarget || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" ||
				!strings.Contains(r.Header.Get("User-Agent"), "api/pricing") || r.Status != http.StatusOK {
				t.Errorf("request target %q, content type %q, user agent %q, status %d", r.Target, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.Status)
			}
		}
	})
}

func TestPricingErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	input := &pricing.GetProductsInput{ServiceCode: aws.String("AmazonEC2")}

	t.Run("an injected AccessDenied reaches the SDK as its typed error, once", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		p.FailNext(http.StatusForbidden, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: pricing:GetProducts")
		c := client(p, awsfake.SecretAccessKey)
		_, err := c.GetProducts(ctx, input)
		var denied *types.AccessDeniedException
		if !errors.As(err, &denied) || !strings.Contains(denied.ErrorMessage(), "pricing:GetProducts") {
			t.Fatalf("err = %v, want an AccessDeniedException naming pricing:GetProducts", err)
		}
		if _, err := c.GetProducts(ctx, input); err != nil {
			t.Errorf("second request: %v, want success (the failure was for the next request only)", err)
		}
	})

	t.Run("a request signed with another secret is refused as AWS refuses it", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		_, err := client(p, "not-the-secret").GetProducts(ctx, input)
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
			t.Fatalf("err = %v, want InvalidSignatureException", err)
		}
	})

	t.Run("an unsigned request is refused", func(t *testing.T) {
		t.Parallel()
		p := awsfake.NewPricing(t)
		resp := post(t, p, nil, awsfake.PricingTarget, "application/x-amz-json-1.1", `{"ServiceCode":"AmazonEC2"}`)
		if resp.status != http.StatusForbidden || resp.errType != "MissingAuthenticationTokenException" {
			t.Errorf("got %d %q, want 403 MissingAuthenticationTokenException", resp.status, resp.errType)
		}
	})

	cases := []struct {
		name, target, contentType, body string
		wantStatus                      int
		wantType                        string
	}{
		{"an unknown target fails the test", "AWSPriceListService.DescribeServices", "application/x-amz-json-1.1", `{}`,
			400, "com.amazon.coral.service#UnknownOperationException"},
		{"a body of another protocol fails the test", awsfake.PricingTarget, "application/json", `{"ServiceCode":"AmazonEC2"}`,
			400, "com.amazon.coral.service#SerializationException"},
		{"a malformed body fails the test", awsfake.PricingTarget, "application/x-amz-json-1.1", `{"ServiceCode":`,
			400, "com.amazon.coral.service#SerializationException"},
		{"a request without a service code fails the test", awsfake.PricingTarget, "application/x-amz-json-1.1", `{"FormatVersion":"aws_v1"}`,
			400, "com.amazonaws.pricing#InvalidParameterException"},
		{"a filter type the fake does not apply fails the test", awsfake.PricingTarget, "application/x-amz-json-1.1",
			`{"ServiceCode":"AmazonEC2","Filters":[{"Type":"CONTAINS","Field":"usagetype","Value":"Nat"}]}`,
			400, "com.amazonaws.pricing#InvalidParameterException"},
		{"a next token of another query fails the test", awsfake.PricingTarget, "application/x-amz-json-1.1",
			`{"ServiceCode":"AmazonEC2","NextToken":"bm9wZQ==:MQ=="}`,
			400, "com.amazonaws.pricing#InvalidNextTokenException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recordingTB{TB: t}
			p := awsfake.NewPricing(rec)
			resp := post(t, p, &aws.Credentials{AccessKeyID: awsfake.AccessKeyID, SecretAccessKey: awsfake.SecretAccessKey}, tc.target, tc.contentType, tc.body)
			if resp.status != tc.wantStatus || resp.errType != tc.wantType || resp.message == "" {
				t.Errorf("got %d %q %q, want %d %q with a message", resp.status, resp.errType, resp.message, tc.wantStatus, tc.wantType)
			}
			if len(rec.errors()) != 1 {
				t.Errorf("the fake reported %q, want one test error", rec.errors())
			}
		})
	}
}

type response struct {
	status           int
	errType, message string
}

// post sends a raw AWS JSON 1.1 request, signed with creds when given, as the SDK would not.
func post(t *testing.T, p *awsfake.Pricing, creds *aws.Credentials, target, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL()+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	if creds != nil {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, hex.EncodeToString(sum[:]), "pricing", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", raw, err)
	}
	return response{resp.StatusCode, e.Type, e.Message}
}

// recordingTB keeps the fake's test errors instead of failing the test that expects them.
type recordingTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recordingTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}
