package awsfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// PricingTarget is the X-Amz-Target of the one Price List Query API operation the fake serves.
const PricingTarget = "AWSPriceListService.GetProducts"

// DefaultEffectiveDate is the effectiveDate of the OnDemand terms of products added without
// EffectiveDate.
var DefaultEffectiveDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Pricing is a fake AWS Price List Query API (service "pricing", region us-east-1) speaking AWS JSON 1.1.
// It serves GetProducts over the products a test added, with TERM_MATCH filters and NextToken pages.
// It is safe for concurrent use.
type Pricing struct {
	t        testing.TB
	srv      *httptest.Server
	pageSize int

	mu       sync.Mutex
	products []*product
	failures []*awsError
	requests []Request
}

// PricingOption configures a Pricing fake.
type PricingOption func(*Pricing)

// WithPageSize sets how many products a page holds at most (default 2, so that any realistic query
// spans several pages); a request's smaller MaxResults wins.
func WithPageSize(n int) PricingOption { return func(p *Pricing) { p.pageSize = n } }

// Dimension is one priceDimensions entry of a product's OnDemand term. A product with several
// dimensions is tiered: each covers [BeginRange, EndRange) of the monthly quantity.
type Dimension struct {
	Unit        string  // AWS's unit: "Hrs", "GB", "GB-Mo", "LCU-Hrs", "Requests", …
	USD         float64 // price per Unit
	BeginRange  string  // "0" when empty
	EndRange    string  // "Inf" when empty
	Description string  // "$<USD> per <Unit>" when empty
}

// ProductOption adjusts a product being added.
type ProductOption func(*product)

// EffectiveDate sets the effectiveDate of the product's OnDemand term (default DefaultEffectiveDate).
func EffectiveDate(t time.Time) ProductOption { return func(p *product) { p.effective = t.UTC() } }

// NewPricing starts a fake Price List Query API; it is shut down when the test ends. Point a pricing
// client at URL() (AWS_ENDPOINT_URL_PRICING) with AccessKeyID and SecretAccessKey.
func NewPricing(t testing.TB, opts ...PricingOption) *Pricing {
	t.Helper()
	p := &Pricing{t: t, pageSize: 2}
	for _, o := range opts {
		o(p)
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the endpoint, e.g. http://127.0.0.1:PORT.
func (p *Pricing) URL() string { return p.srv.URL }

// AddProduct adds a product of serviceCode and returns its SKU. attributes are the product's attributes
// as AWS lists them (usagetype, location, regionCode, operation, …); "productFamily" among them becomes
// the product's family, as in AWS's documents, and "servicecode" is filled in. dims are the price
// dimensions of its one OnDemand term.
func (p *Pricing) AddProduct(serviceCode string, attributes map[string]string, dims []Dimension, opts ...ProductOption) string {
	p.t.Helper()
	if serviceCode == "" || len(dims) == 0 {
		p.t.Fatalf("awsfake: AddProduct needs a service code and at least one price dimension")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	attrs := maps.Clone(attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	family := attrs["productFamily"]
	delete(attrs, "productFamily")
	if attrs["servicecode"] == "" {
		attrs["servicecode"] = serviceCode
	}
	prod := &product{
		serviceCode: serviceCode,
		family:      family,
		attributes:  attrs,
		sku:         code(fmt.Sprintf("%s/%d", serviceCode, len(p.products)), 16),
		dims:        append([]Dimension(nil), dims...),
		effective:   DefaultEffectiveDate,
	}
	for _, o := range opts {
		o(prod)
	}
	p.products = append(p.products, prod)
	return prod.sku
}

// FailNext makes the next GetProducts request fail with status and AWS's error code (for example 403,
// "AccessDeniedException") and message, after its signature was checked.
func (p *Pricing) FailNext(status int, code, message string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failures = append(p.failures, &awsError{Status: status, Type: code, Message: message})
}

// Requests lists the requests received so far, oldest first.
func (p *Pricing) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

func (p *Pricing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	target := r.Header.Get("X-Amz-Target")

	p.mu.Lock()
	defer p.mu.Unlock()
	defer logRequest(&p.requests, r, target, body, rec)

	if e := verifySigV4(r, body, "pricing", "us-east-1"); e != nil {
		writeJSONError(rec, e)
		return
	}
	if e := p.checkEnvelope(r, target); e != nil {
		p.t.Errorf("awsfake: pricing cannot answer %s %s (target %q): %s", r.Method, r.URL.Path, target, e.Message)
		writeJSONError(rec, e)
		return
	}
	if len(p.failures) > 0 {
		e := p.failures[0]
		p.failures = p.failures[1:]
		writeJSONError(rec, e)
		return
	}
	out, e := p.getProducts(body)
	if e != nil {
		p.t.Errorf("awsfake: pricing cannot answer GetProducts %s: %s", body, e.Message)
		writeJSONError(rec, e)
		return
	}
	writeJSON(rec, http.StatusOK, out)
}

// checkEnvelope checks what AWS JSON 1.1 requires of every request.
func (p *Pricing) checkEnvelope(r *http.Request, target string) *awsError {
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return &awsError{http.StatusNotFound, "com.amazon.coral.service#UnknownOperationException",
			"AWS JSON 1.1 requests are POST /, not " + r.Method + " " + r.URL.Path}
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		return &awsError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException",
			"Content-Type must be application/x-amz-json-1.1, not " + r.Header.Get("Content-Type")}
	case target != PricingTarget:
		return &awsError{http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
			"the fake serves only " + PricingTarget}
	}
	return nil
}

// getProductsInput is GetProducts' request body.
type getProductsInput struct {
	ServiceCode   string
	Filters       []filter
	FormatVersion string
	NextToken     string
	MaxResults    *int
}

type filter struct {
	Type  string
	Field string
	Value string
}

type getProductsOutput struct {
	FormatVersion string
	NextToken     string `json:",omitempty"`
	PriceList     []string
}

func (p *Pricing) getProducts(body []byte) (*getProductsOutput, *awsError) {
	var in getProductsInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, &awsError{http.StatusBadRequest, "com.amazon.coral.service#SerializationException", err.Error()}
	}
	if e := validate(in); e != nil {
		return nil, e
	}
	var matched []*product
	for _, prod := range p.products {
		if prod.matches(in.ServiceCode, in.Filters) {
			matched = append(matched, prod)
		}
	}
	query := queryKey(in)
	start := 0
	if in.NextToken != "" {
		var ok bool
		if start, ok = parseToken(in.NextToken, query); !ok || start > len(matched) {
			return nil, &awsError{http.StatusBadRequest, pricingError("InvalidNextTokenException"),
				"The NextToken is not valid for this request."}
		}
	}
	size := p.pageSize
	if in.MaxResults != nil && *in.MaxResults < size {
		size = *in.MaxResults
	}
	end := min(start+size, len(matched))
	out := &getProductsOutput{FormatVersion: "aws_v1", PriceList: []string{}}
	for _, prod := range matched[start:end] {
		out.PriceList = append(out.PriceList, prod.document())
	}
	if end < len(matched) {
		out.NextToken = makeToken(end, query)
	}
	return out, nil
}

func validate(in getProductsInput) *awsError {
	invalid := func(msg string) *awsError {
		return &awsError{http.StatusBadRequest, pricingError("InvalidParameterException"), msg}
	}
	switch {
	case in.ServiceCode == "":
		return invalid("ServiceCode is required")
	case in.FormatVersion != "" && in.FormatVersion != "aws_v1":
		return invalid("FormatVersion must be aws_v1, not " + in.FormatVersion)
	case in.MaxResults != nil && (*in.MaxResults < 1 || *in.MaxResults > 100):
		return invalid(fmt.Sprintf("MaxResults must be between 1 and 100, not %d", *in.MaxResults))
	}
	for _, f := range in.Filters {
		if f.Type != "TERM_MATCH" {
			return invalid("the fake applies TERM_MATCH filters only, not " + f.Type)
		}
		if f.Field == "" || f.Value == "" {
			return invalid("a filter needs a Field and a Value")
		}
	}
	return nil
}

// pricingError is the __type of an error of the Price List service's own model.
func pricingError(name string) string { return "com.amazonaws.pricing#" + name }
