package awsfake

import (
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
)

// elbNamespace is the XML namespace of every Elastic Load Balancing v2 Query API answer.
const elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// TargetHealth is one answer about one target: State is "initial", "healthy", "unhealthy", "unused" or
// "draining"; Reason and Description are AWS's (none for healthy).
type TargetHealth struct {
	State       string
	Reason      string
	Description string
}

// The health states a script is written with.
var (
	Initial = TargetHealth{"initial", "Elb.InitialHealthChecking", "Initial health checks in progress"}
	Healthy = TargetHealth{State: "healthy"}
)

// Unhealthy is a failed health check with AWS's reason code and description, e.g.
// Unhealthy("Target.ResponseCodeMismatch", "Health checks failed with these codes: [502]").
func Unhealthy(reason, description string) TargetHealth {
	return TargetHealth{"unhealthy", reason, description}
}

// ELBv2 is a fake Elastic Load Balancing v2 API speaking the Query protocol (form-encoded POST /, XML
// answers). It serves DescribeTargetHealth for target groups added with AddTargetGroup (fixed targets)
// or AddTargetGroupFor (the running tasks of an ECS fake's service). Each target's health follows the
// group's script, one step per DescribeTargetHealth that lists it, the last step repeating; a stopped
// task's target is draining. Requests are checked for a SigV4 signature for "elasticloadbalancing".
// It is safe for concurrent use.
type ELBv2 struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	groups   map[string]*targetGroup // ARN → group
	requests []Request
	served   int
}

type targetGroup struct {
	name, arn string
	port      int
	ecs       *ECS // when set, the targets are its service's tasks
	cluster   string
	service   string
	fixed     []string // the registered target ids when ecs is nil
	script    []TargetHealth
	seen      map[string]int // target id → calls that listed it
}

// NewELBv2 starts a fake ELBv2; it is shut down when the test ends. Point an elasticloadbalancingv2
// client at URL() (AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2) with region ECSRegion, AccessKeyID and
// SecretAccessKey.
func NewELBv2(t testing.TB) *ELBv2 {
	t.Helper()
	e := &ELBv2{t: t, groups: map[string]*targetGroup{}}
	e.srv = httptest.NewServer(e)
	t.Cleanup(e.srv.Close)
	return e
}

// URL is the endpoint, e.g. http://127.0.0.1:PORT.
func (e *ELBv2) URL() string { return e.srv.URL }

// AddTargetGroup creates an IP target group with the targets ids registered on port, all healthy until
// Script says otherwise, and returns its ARN.
func (e *ELBv2) AddTargetGroup(name string, port int, ids ...string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.add(&targetGroup{name: name, port: port, fixed: ids})
}

// AddTargetGroupFor creates an IP target group in front of container's port of cluster/service of the ECS
// fake and attaches it to the service. Its targets are the service's tasks: running ones registered, stopped
// ones draining. It returns the group's ARN.
func (e *ELBv2) AddTargetGroupFor(ecs *ECS, cluster, service, container string, port int) string {
	e.mu.Lock()
	arn := e.add(&targetGroup{name: service, port: port, ecs: ecs, cluster: cluster, service: service})
	e.mu.Unlock()
	ecs.AttachTargetGroup(cluster, service, arn, container, port)
	return arn
}

func (e *ELBv2) add(g *targetGroup) string {
	g.arn = fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%016x", ECSRegion, ECSAccount, g.name, len(e.groups)+0x73e2d6bc0a1f)
	g.script, g.seen = []TargetHealth{Healthy}, map[string]int{}
	e.groups[g.arn] = g
	return g.arn
}

// Script sets the health every target of the group reports from the next call that lists it: steps[0] on
// the first call, steps[1] on the second, …, the last step from then on. Targets already listed keep
// their place in the new script.
func (e *ELBv2) Script(targetGroupARN string, steps ...TargetHealth) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	g := e.groups[targetGroupARN]
	if g == nil || len(steps) == 0 {
		e.t.Fatalf("awsfake: Script: no target group %s, or no steps", targetGroupARN)
		return
	}
	g.script = steps
}

// Requests lists the requests received so far, oldest first.
func (e *ELBv2) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

// The answer's XML, in the element order of the ELBv2 API reference.
type (
	describeTargetHealthXML struct {
		XMLName   xml.Name                `xml:"DescribeTargetHealthResponse"`
		Namespace string                  `xml:"xmlns,attr"`
		Targets   []targetHealthMemberXML `xml:"DescribeTargetHealthResult>TargetHealthDescriptions>member"`
		RequestID string                  `xml:"ResponseMetadata>RequestId"`
	}
	targetHealthMemberXML struct {
		HealthCheckPort string `xml:"HealthCheckPort"`
		Target          struct {
			ID               string `xml:"Id"`
			Port             int    `xml:"Port"`
			AvailabilityZone string `xml:"AvailabilityZone"`
		} `xml:"Target"`
		TargetHealth struct {
			State       string `xml:"State"`
			Reason      string `xml:"Reason,omitempty"`
			Description string `xml:"Description,omitempty"`
		} `xml:"TargetHealth"`
	}
)

func (e *ELBv2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	e.mu.Lock()
	defer e.mu.Unlock()
	defer logRequest(&e.requests, r, "", body, rec)
	reqID := requestID(fmt.Appendf(nil, "elbv2/%d/%s", e.served, body))
	e.served++
	if aerr := verifySigV4(r, body, "elasticloadbalancing", ECSRegion); aerr != nil {
		writeQueryError(rec, elbNamespace, &stsError{aerr.Status, aerr.Type, aerr.Message}, reqID)
		return
	}
	form, qerr := parseQuery(r, body, "2015-12-01")
	if qerr == nil && form.Get("Action") != "DescribeTargetHealth" {
		qerr = &stsError{http.StatusBadRequest, "InvalidAction", "the fake serves only Action=DescribeTargetHealth, not " + form.Get("Action")}
	}
	if qerr != nil {
		e.t.Errorf("awsfake: ELBv2 cannot answer %s %s %q: %s", r.Method, r.URL.Path, body, qerr.Message)
		writeQueryError(rec, elbNamespace, qerr, reqID)
		return
	}
	g := e.groups[form.Get("TargetGroupArn")]
	if g == nil {
		writeQueryError(rec, elbNamespace, &stsError{http.StatusBadRequest, "TargetGroupNotFound", "One or more target groups not found"}, reqID)
		return
	}
	out := &describeTargetHealthXML{Namespace: elbNamespace, RequestID: reqID}
	for _, t := range g.targets() {
		var m targetHealthMemberXML
		m.HealthCheckPort = "traffic-port"
		m.Target.ID, m.Target.Port, m.Target.AvailabilityZone = t.IP, g.port, ECSRegion+"a"
		h := TargetHealth{"draining", "Target.DeregistrationInProgress", "Target deregistration is in progress"}
		if !t.Stopped {
			n := g.seen[t.IP]
			g.seen[t.IP]++
			h = g.script[min(n, len(g.script)-1)]
		}
		m.TargetHealth.State, m.TargetHealth.Reason, m.TargetHealth.Description = h.State, h.Reason, h.Description
		out.Targets = append(out.Targets, m)
	}
	writeXML(rec, http.StatusOK, reqID, out)
}

// targets are the group's registered targets: its ECS service's tasks, or the fixed ones.
func (g *targetGroup) targets() []TaskTarget {
	if g.ecs != nil {
		return g.ecs.Targets(g.cluster, g.service)
	}
	out := make([]TaskTarget, len(g.fixed))
	for i, id := range g.fixed {
		out[i] = TaskTarget{IP: id}
	}
	return out
}

// parseQuery checks a Query protocol request (POST / with a form body and the API's Version) and
// returns its parameters.
func parseQuery(r *http.Request, body []byte, version string) (url.Values, *stsError) {
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		return nil, &stsError{http.StatusNotFound, "UnknownOperation", "the Query API is POST /, not " + r.Method + " " + r.URL.Path}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, &stsError{http.StatusBadRequest, "ValidationError", "Content-Type must be application/x-www-form-urlencoded, not " + strconv.Quote(r.Header.Get("Content-Type"))}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, &stsError{http.StatusBadRequest, "ValidationError", "the body is not form-encoded: " + err.Error()}
	}
	if form.Get("Version") != version {
		return nil, &stsError{http.StatusBadRequest, "InvalidAction", "Version must be " + version + ", not " + strconv.Quote(form.Get("Version"))}
	}
	return form, nil
}

// writeQueryError answers in the Query protocol's error shape under namespace.
func writeQueryError(w http.ResponseWriter, namespace string, e *stsError, reqID string) {
	kind := "Sender"
	if e.Status >= 500 {
		kind = "Receiver"
	}
	writeXML(w, e.Status, reqID, &errorResponseXML{Namespace: namespace, Type: kind, Code: e.Code, Message: e.Message, RequestID: reqID})
}
