package awsfake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// onDemandOfferTermCode is the offer term code AWS gives every OnDemand term.
const onDemandOfferTermCode = "JRTCKXETXF"

type product struct {
	serviceCode string
	family      string
	attributes  map[string]string
	sku         string
	dims        []Dimension
	effective   time.Time
}

// matches applies TERM_MATCH filters: every filter's field must equal its value exactly. Fields are
// product attributes, plus productFamily and sku, which AWS keeps beside them.
func (p *product) matches(serviceCode string, filters []filter) bool {
	if p.serviceCode != serviceCode {
		return false
	}
	for _, f := range filters {
		var v string
		switch f.Field {
		case "productFamily":
			v = p.family
		case "sku":
			v = p.sku
		default:
			v = p.attributes[f.Field]
		}
		if v != f.Value {
			return false
		}
	}
	return true
}

// The document of one product, as AWS serialises it inside PriceList (a JSON string per product).
type (
	productDocument struct {
		Product         productPart `json:"product"`
		ServiceCode     string      `json:"serviceCode"`
		Terms           termsPart   `json:"terms"`
		Version         string      `json:"version"`
		PublicationDate string      `json:"publicationDate"`
	}
	productPart struct {
		ProductFamily string            `json:"productFamily,omitempty"`
		Attributes    map[string]string `json:"attributes"`
		SKU           string            `json:"sku"`
	}
	termsPart struct {
		OnDemand map[string]term `json:"OnDemand"`
	}
	term struct {
		PriceDimensions map[string]priceDimension `json:"priceDimensions"`
		SKU             string                    `json:"sku"`
		EffectiveDate   string                    `json:"effectiveDate"`
		OfferTermCode   string                    `json:"offerTermCode"`
		TermAttributes  map[string]string         `json:"termAttributes"`
	}
	priceDimension struct {
		Unit         string            `json:"unit"`
		EndRange     string            `json:"endRange"`
		Description  string            `json:"description"`
		AppliesTo    []string          `json:"appliesTo"`
		RateCode     string            `json:"rateCode"`
		BeginRange   string            `json:"beginRange"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	}
)

func (p *product) document() string {
	termCode := p.sku + "." + onDemandOfferTermCode
	dims := map[string]priceDimension{}
	for i, d := range p.dims {
		rate := termCode + "." + code(fmt.Sprintf("%s/%d", p.sku, i), 10)
		dims[rate] = priceDimension{
			Unit:         d.Unit,
			EndRange:     orDefault(d.EndRange, "Inf"),
			Description:  orDefault(d.Description, fmt.Sprintf("$%s per %s", strconv.FormatFloat(d.USD, 'f', -1, 64), d.Unit)),
			AppliesTo:    []string{},
			RateCode:     rate,
			BeginRange:   orDefault(d.BeginRange, "0"),
			PricePerUnit: map[string]string{"USD": strconv.FormatFloat(d.USD, 'f', 10, 64)},
		}
	}
	doc := productDocument{
		Product:     productPart{ProductFamily: p.family, Attributes: p.attributes, SKU: p.sku},
		ServiceCode: p.serviceCode,
		Terms: termsPart{OnDemand: map[string]term{termCode: {
			PriceDimensions: dims,
			SKU:             p.sku,
			EffectiveDate:   p.effective.Format(time.RFC3339),
			OfferTermCode:   onDemandOfferTermCode,
			TermAttributes:  map[string]string{},
		}}},
		Version:         p.effective.Format("20060102150405"),
		PublicationDate: p.effective.Format(time.RFC3339),
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(fmt.Sprintf("awsfake: encoding a product: %v", err)) // maps of strings always encode
	}
	return string(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// code derives a stable identifier of n characters from [A-Z0-9], the alphabet of AWS's SKUs and
// rate codes.
func code(seed string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	sum := sha256.Sum256([]byte(seed))
	var b strings.Builder
	for i := range n {
		b.WriteByte(alphabet[int(sum[i%len(sum)])%len(alphabet)])
	}
	return b.String()
}

// queryKey identifies a query, so that a NextToken is only accepted for the query that issued it.
func queryKey(in getProductsInput) string {
	var b strings.Builder
	b.WriteString(in.ServiceCode)
	for _, f := range in.Filters {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%s", f.Type, f.Field, f.Value)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

func makeToken(offset int, query string) string {
	return base64.StdEncoding.EncodeToString([]byte(query)) + ":" +
		base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func parseToken(token, query string) (int, bool) {
	q, off, ok := strings.Cut(token, ":")
	if !ok {
		return 0, false
	}
	qb, err1 := base64.StdEncoding.DecodeString(q)
	ob, err2 := base64.StdEncoding.DecodeString(off)
	if err1 != nil || err2 != nil || string(qb) != query {
		return 0, false
	}
	n, err := strconv.Atoi(string(ob))
	return n, err == nil && n >= 0
}
