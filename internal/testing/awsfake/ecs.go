package awsfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ECS region and account of every ARN the ECS fake makes.
const (
	ECSRegion  = "us-east-1"
	ECSAccount = "123456789012"
	ecsPrefix  = "AmazonEC2ContainerServiceV20141113."
)

// TaskDefinitionJSON is a task definition in ECS's wire shape (family, containerDefinitions, …), as
// RegisterTaskDefinition takes it; a top-level "tags" list becomes the definition's tags.
type TaskDefinitionJSON string

// Scenario scripts how a service's next deployment rolls out, counted in DescribeServices calls
// ("polls") after the UpdateService that started it. Set exactly one field; the zero Scenario
// completes on the first poll.
type Scenario struct {
	CompleteAfter int  // rolloutState COMPLETED from this poll on
	FailAfter     int  // rolloutState FAILED from this poll on
	RollbackAfter int  // the circuit breaker rolls back to the previous deployment at this poll
	Never         bool // stays IN_PROGRESS
}

// ECS is a fake Amazon ECS API speaking AWS JSON 1.1, holding services, their tasks and task
// definitions in memory. It serves DescribeServices, DescribeTaskDefinition, RegisterTaskDefinition,
// UpdateService, DeregisterTaskDefinition, ListTasks and DescribeTasks; deployments roll out as Rollout
// scripted, each running one task (with an ENI and a private IP under awsvpc) started by the deployment.
// It is safe for concurrent use.
type ECS struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	taskDefs   map[string]*ecsTaskDef // ARN → definition
	revisions  map[string]int         // family → last revision
	services   map[string]*ecsService // cluster/service
	tasks      []*ecsTask             // every task started, oldest first
	registered []json.RawMessage
	requests   []Request
	seq        int
}

type ecsTaskDef struct {
	body map[string]any // the taskDefinition object as DescribeTaskDefinition answers it
	tags []any
}

type ecsService struct {
	cluster, name string
	taskDef       string
	deployments   []map[string]any // PRIMARY first
	events        []map[string]any // newest first
	loadBalancers []any            // the service's loadBalancers, as DescribeServices lists them
	scenario      Scenario
	polls         int
	rolling       bool
}

// NewECS starts a fake ECS; it is shut down when the test ends. Point an ecs client at URL() with
// region ECSRegion, AccessKeyID and SecretAccessKey.
func NewECS(t testing.TB) *ECS {
	t.Helper()
	e := &ECS{t: t, taskDefs: map[string]*ecsTaskDef{}, revisions: map[string]int{}, services: map[string]*ecsService{}}
	e.srv = httptest.NewServer(e)
	t.Cleanup(e.srv.Close)
	return e
}

// URL is the endpoint, e.g. http://127.0.0.1:PORT.
func (e *ECS) URL() string { return e.srv.URL }

// AddService registers td as a new revision of its family and creates service in cluster running it,
// with one COMPLETED PRIMARY deployment. td is a TaskDefinitionJSON, a string or []byte of JSON, or any
// value that encodes to the wire shape with encoding/json. It returns the task definition's ARN.
func (e *ECS) AddService(cluster, service string, td any) string {
	e.t.Helper()
	raw, err := taskDefBytes(td)
	if err != nil {
		e.t.Fatalf("awsfake: AddService %s/%s: %v", cluster, service, err)
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		e.t.Fatalf("awsfake: AddService %s/%s: the task definition is not a JSON object: %v", cluster, service, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, _ := in["tags"].([]any)
	delete(in, "tags")
	arn, aerr := e.register(in, tags)
	if aerr != nil {
		e.t.Fatalf("awsfake: AddService %s/%s: %v", cluster, service, aerr)
	}
	s := &ecsService{cluster: cluster, name: service, taskDef: arn, scenario: Scenario{CompleteAfter: 1}}
	d := e.deployment(s, arn)
	d["rolloutState"], d["rolloutStateReason"] = "COMPLETED", "ECS deployment "+d["id"].(string)+" completed."
	d["runningCount"], d["pendingCount"] = 1, 0
	s.deployments = []map[string]any{d}
	e.event(s, "(service "+service+") has reached a steady state.")
	e.services[cluster+"/"+service] = s
	return arn
}

// Rollout scripts the next deployments of cluster/service.
func (e *ECS) Rollout(cluster, service string, sc Scenario) {
	e.t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.services[cluster+"/"+service]
	if s == nil {
		e.t.Fatalf("awsfake: Rollout: no service %s in cluster %s: AddService it first", service, cluster)
		return
	}
	s.scenario = sc
}

// RegisterTaskDefinition registers td as the next revision of its family without touching any service,
// as Terraform does when a task definition's cpu, memory or environment changes. td is what AddService
// takes; it returns the new revision's ARN.
func (e *ECS) RegisterTaskDefinition(td any) string {
	e.t.Helper()
	raw, err := taskDefBytes(td)
	if err != nil {
		e.t.Fatalf("awsfake: RegisterTaskDefinition: %v", err)
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		e.t.Fatalf("awsfake: RegisterTaskDefinition: the task definition is not a JSON object: %v", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	tags, _ := in["tags"].([]any)
	delete(in, "tags")
	arn, aerr := e.register(in, tags)
	if aerr != nil {
		e.t.Fatalf("awsfake: RegisterTaskDefinition: %v", aerr)
	}
	return arn
}

// Registered returns the body of every RegisterTaskDefinition request, as received, oldest first.
func (e *ECS) Registered() []json.RawMessage {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]json.RawMessage(nil), e.registered...)
}

// Requests lists the requests received so far, oldest first.
func (e *ECS) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

func taskDefBytes(td any) ([]byte, error) {
	switch v := td.(type) {
	case TaskDefinitionJSON:
		return []byte(v), nil
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	default:
		return json.Marshal(v)
	}
}

func (e *ECS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	e.mu.Lock()
	defer e.mu.Unlock()
	target := r.Header.Get("X-Amz-Target")
	defer logRequest(&e.requests, r, target, body, rec)
	if aerr := verifySigV4(r, body, "ecs", ECSRegion); aerr != nil {
		writeJSONError(rec, aerr)
		return
	}
	op, ok := strings.CutPrefix(target, ecsPrefix)
	handler := map[string]func(map[string]any) (any, *awsError){
		"DescribeServices":         e.describeServices,
		"DescribeTaskDefinition":   e.describeTaskDefinition,
		"RegisterTaskDefinition":   e.registerTaskDefinition,
		"UpdateService":            e.updateService,
		"DeregisterTaskDefinition": e.deregisterTaskDefinition,
		"ListTasks":                e.listTasks,
		"DescribeTasks":            e.describeTasks,
	}[op]
	var in map[string]any
	if err := json.Unmarshal(body, &in); !ok || handler == nil || r.Method != http.MethodPost ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") || err != nil {
		e.t.Errorf("awsfake: ECS cannot answer %s %s target %q: %s", r.Method, r.URL.Path, target, body)
		writeJSONError(rec, &awsError{http.StatusBadRequest, "UnknownOperationException", "the fake cannot answer " + target})
		return
	}
	if op == "RegisterTaskDefinition" {
		e.registered = append(e.registered, append(json.RawMessage(nil), body...))
	}
	out, aerr := handler(in)
	if aerr != nil {
		writeJSONError(rec, aerr)
		return
	}
	writeJSON(rec, http.StatusOK, out)
}

func clientErr(format string, args ...any) *awsError {
	return &awsError{http.StatusBadRequest, "ClientException", fmt.Sprintf(format, args...)}
}

// readOnlyTaskDefFields are fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses.
var readOnlyTaskDefFields = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes",
	"compatibilities", "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt"}

func (e *ECS) registerTaskDefinition(in map[string]any) (any, *awsError) {
	for _, f := range readOnlyTaskDefFields {
		if _, ok := in[f]; ok {
			return nil, clientErr("Unrecognized field '%s': it is read-only and cannot be registered", f)
		}
	}
	tags, _ := in["tags"].([]any)
	delete(in, "tags")
	arn, aerr := e.register(in, tags)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"taskDefinition": e.taskDefs[arn].body, "tags": nonNil(tags)}, nil
}

// register stores body as the next revision of its family.
func (e *ECS) register(body map[string]any, tags []any) (string, *awsError) {
	family, _ := body["family"].(string)
	if family == "" {
		return "", clientErr("Family must not be empty.")
	}
	containers, _ := body["containerDefinitions"].([]any)
	if len(containers) == 0 {
		return "", clientErr("Container list cannot be empty.")
	}
	for _, c := range containers {
		c, _ := c.(map[string]any)
		if name, _ := c["name"].(string); name == "" {
			return "", clientErr("Container.name should not be null or empty.")
		}
		if image, _ := c["image"].(string); image == "" {
			return "", clientErr("Container.image should not be null or empty.")
		}
	}
	e.revisions[family]++
	rev := e.revisions[family]
	arn := fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", ECSRegion, ECSAccount, family, rev)
	td := map[string]any{}
	for k, v := range body {
		td[k] = v
	}
	compat := []any{"EC2"}
	if rc, _ := body["requiresCompatibilities"].([]any); len(rc) > 0 {
		compat = []any{"EC2", "FARGATE"}
	}
	td["taskDefinitionArn"], td["revision"], td["status"] = arn, rev, "ACTIVE"
	td["compatibilities"] = compat
	td["requiresAttributes"] = []any{map[string]any{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}}
	td["registeredAt"] = e.now()
	td["registeredBy"] = "arn:aws:sts::" + ECSAccount + ":assumed-role/deployer/gantry"
	e.taskDefs[arn] = &ecsTaskDef{body: td, tags: tags}
	return arn, nil
}

// lookup finds a task definition by ARN, FAMILY:REVISION or FAMILY (its latest ACTIVE revision).
func (e *ECS) lookup(ref string) *ecsTaskDef {
	if td := e.taskDefs[ref]; td != nil {
		return td
	}
	name := ref[strings.LastIndex(ref, "/")+1:]
	if strings.Contains(name, ":") {
		return e.taskDefs[fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s", ECSRegion, ECSAccount, name)]
	}
	for rev := e.revisions[name]; rev > 0; rev-- {
		td := e.taskDefs[fmt.Sprintf("arn:aws:ecs:%s:%s:task-definition/%s:%d", ECSRegion, ECSAccount, name, rev)]
		if td.body["status"] == "ACTIVE" {
			return td
		}
	}
	return nil
}

func (e *ECS) describeTaskDefinition(in map[string]any) (any, *awsError) {
	ref, _ := in["taskDefinition"].(string)
	td := e.lookup(ref)
	if td == nil {
		return nil, clientErr("Unable to describe task definition.")
	}
	out := map[string]any{"taskDefinition": td.body}
	if include, _ := in["include"].([]any); len(include) == 1 && include[0] == "TAGS" {
		out["tags"] = nonNil(td.tags)
	}
	return out, nil
}

func (e *ECS) deregisterTaskDefinition(in map[string]any) (any, *awsError) {
	ref, _ := in["taskDefinition"].(string)
	td := e.lookup(ref)
	if td == nil || !strings.Contains(ref, ":") {
		return nil, clientErr("The specified task definition does not exist.")
	}
	td.body["status"] = "INACTIVE"
	td.body["deregisteredAt"] = e.now()
	return map[string]any{"taskDefinition": td.body}, nil
}

func nonNil(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func (e *ECS) now() float64 {
	return float64(time.Now().UnixMilli()) / 1000
}

func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	return ref[strings.LastIndex(ref, "/")+1:]
}

func (e *ECS) nextID() string {
	e.seq++
	return "ecs-svc/" + strconv.FormatInt(int64(1000000000000000000)+int64(e.seq)*7919, 10)
}
