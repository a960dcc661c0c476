package githubfake_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/classla/gantry/internal/testing/githubfake"
)

// description is GitHub's OpenAPI description, loaded once per test binary. The document is ~13 MB of
// JSON; decoding all of it into Go values (let alone loading it into kin-openapi) takes seconds and
// hundreds of MB, so it is read as raw JSON and only the fake's operations and the components they
// reference, transitively, are decoded and handed to kin-openapi.
var description = sync.OnceValues(func() (*apiDescription, error) {
	f, err := os.Open("testdata/api.github.com.json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	var full rawDescription
	if err := json.NewDecoder(gz).Decode(&full); err != nil {
		return nil, fmt.Errorf("decoding the description: %w", err)
	}
	pruned, err := full.prune(githubfake.Routes())
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(pruned)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		return nil, fmt.Errorf("loading the pruned description: %w", err)
	}
	return &apiDescription{paths: full.Paths, doc: doc}, nil
})

type rawDescription struct {
	OpenAPI    string                                `json:"openapi"`
	Info       json.RawMessage                       `json:"info"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`      // path → method (or "parameters") → JSON
	Components map[string]map[string]json.RawMessage `json:"components"` // kind → name → JSON
}

type apiDescription struct {
	paths map[string]map[string]json.RawMessage // every path of the full description
	doc   *openapi3.T                           // the fake's routes only
}

func loadDescription(t *testing.T) *apiDescription {
	t.Helper()
	d, err := description()
	if err != nil {
		t.Fatalf("GitHub's OpenAPI description: %v", err)
	}
	return d
}

// prune keeps the operations of the fake's routes and every component they reference.
func (full *rawDescription) prune(routes []githubfake.Route) (map[string]any, error) {
	paths := map[string]map[string]any{}
	components := map[string]map[string]any{}
	var walk func(v any) error
	walk = func(v any) error {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
				if components[kind] == nil {
					components[kind] = map[string]any{}
				}
				if _, done := components[kind][name]; !done {
					var target any
					if err := json.Unmarshal(full.Components[kind][name], &target); err != nil {
						return fmt.Errorf("component %s: %w", ref, err)
					}
					components[kind][name] = target
					if err := walk(target); err != nil {
						return err
					}
				}
			}
			for _, child := range v {
				if err := walk(child); err != nil {
					return err
				}
			}
		case []any:
			for _, child := range v {
				if err := walk(child); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range routes {
		item := full.Paths[r.Path]
		if !r.API || item == nil {
			continue
		}
		if paths[r.Path] == nil {
			paths[r.Path] = map[string]any{}
		}
		for _, key := range []string{"parameters", strings.ToLower(r.Method)} {
			if raw, ok := item[key]; ok {
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					return nil, fmt.Errorf("%s %s: %w", key, r.Path, err)
				}
				if err := walk(v); err != nil {
					return nil, err
				}
				paths[r.Path][key] = v
			}
		}
	}
	return map[string]any{"openapi": full.OpenAPI, "info": full.Info, "paths": paths, "components": components}, nil
}

func TestEveryRouteOfTheFakeIsInGitHubsDescription(t *testing.T) {
	t.Parallel()
	d := loadDescription(t)
	for _, r := range githubfake.Routes() {
		item := d.paths[r.Path]
		_, hasMethod := item[strings.ToLower(r.Method)]
		switch {
		case r.API && !hasMethod:
			t.Errorf("%s %s is served by the fake but not described by GitHub", r.Method, r.Path)
		case !r.API && item != nil:
			t.Errorf("%s %s is marked as a download host but GitHub describes it as an API route", r.Method, r.Path)
		}
	}
}

// schemaOptions also check the formats the fake fills in: RFC 3339 timestamps (kin-openapi's default
// date-time check) and absolute URLs. One narrow exception: GitHub itself answers "" for URL fields that
// were never set (a deployment status's environment_url and target_url; see the deployment_status
// webhook fixtures), although its description marks them format uri, so the empty string passes.
var schemaOptions = []openapi3.SchemaValidationOption{
	openapi3.MultiErrors(),
	openapi3.DisableSchemaErrorDetails(),
	openapi3.VisitAsResponse(),
	openapi3.EnableFormatValidation(),
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		if s == "" {
			return nil
		}
		if u, err := url.Parse(s); err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("%q is not an absolute URL", s)
		}
		return nil
	})),
}

// checkResponse validates one answer of the fake against the description of its route and status.
func checkResponse(doc *openapi3.T, req githubfake.Request) error {
	op := doc.Paths.Find(req.Route).GetOperation(req.Method)
	resp := op.Responses.Status(req.Status)
	if resp == nil {
		resp = op.Responses.Default()
	}
	if resp == nil {
		return fmt.Errorf("status %d is not documented", req.Status)
	}
	// Link is documented for lists but sent only when there is more than one page; Location always.
	if _, ok := resp.Value.Headers["Location"]; ok && req.ResponseHeader.Get("Location") == "" {
		return fmt.Errorf("the documented Location header is missing")
	}
	if len(resp.Value.Content) == 0 {
		if len(req.Response) != 0 {
			return fmt.Errorf("status %d is documented without a body, but the fake sent %d bytes", req.Status, len(req.Response))
		}
		return nil
	}
	if !strings.HasPrefix(req.ResponseHeader.Get("Content-Type"), "application/json") {
		// The raw media type (application/vnd.github.raw) carries the file itself; it has no schema.
		return nil
	}
	mt := resp.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return fmt.Errorf("status %d has no application/json schema", req.Status)
	}
	var body any
	if err := json.Unmarshal(req.Response, &body); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	return mt.Schema.Value.VisitJSON(body, schemaOptions...)
}

func TestFakeAnswersMatchGitHubsDescription(t *testing.T) {
	t.Parallel()
	d := loadDescription(t)
	fake := githubfake.New(t)
	runScenario(t, fake)

	api := map[string]bool{}
	for _, r := range githubfake.Routes() {
		api[r.Method+" "+r.Path] = r.API
	}
	checked := map[string]bool{}
	for _, req := range fake.Requests() {
		key := req.Method + " " + req.Route
		if !api[key] {
			continue
		}
		checked[key] = true
		if err := checkResponse(d.doc, req); err != nil {
			t.Errorf("%s %s → %d does not match GitHub's description: %v", req.Method, req.Path, req.Status, err)
		}
	}
	for key, isAPI := range api {
		if isAPI && !checked[key] {
			t.Errorf("the scenario never calls %s, so its answers are unchecked", key)
		}
	}
}
