// Package storetest is the contract every store.Store implementation passes: what the
// webhook handler, the workers and the status page rely on, checked the way they use it.
//
// Beyond the comments in package store, the contract fixes:
//   - times the store sets (CreatedAt, StartedAt, LeaseUntil, …) come from its clock, in UTC;
//     times the caller sets come back equal (time.Equal) at microsecond precision or better;
//   - nil and empty byte slices are interchangeable, all other bytes round-trip exactly;
//   - a job needs a Kind; jobs recorded with a delivery and no DeliveryID belong to it;
//   - CancelJobs with an empty key touches nothing;
//   - a running job whose cancellation was requested is canceled, not retried, when its
//     lease ends;
//   - GetLock of a free lock and UpdateDeployment of an unknown ID give store.ErrNotFound;
//     deleting an unknown installation is not an error.
package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/classla/gantry/internal/store"
)

// Run runs the contract against the stores open returns. open must return a new, empty store
// for every call and close it when t ends; it is called from parallel subtests.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		cases []contractCase
	}{
		{"deliveries", deliveryCases},
		{"job queue", queueCases},
		{"job claims", claimCases},
		{"job cancellation", cancelCases},
		{"expired leases", expireCases},
		{"locks", lockCases},
		{"plans", planCases},
		{"deployments", deploymentCases},
		{"installations", installationCases},
		{"runner jobs", runnerCases},
		{"signing keys", signingKeyCases},
		{"GitHub objects of jobs", githubObjectCases},
		{"health", []contractCase{{"an open store answers Ping", ping}}},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, open(t))
				})
			}
		})
	}
}

// contractCase checks one promise of the contract on a new, empty store.
type contractCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

func ping(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// clockSlack is how far a time the store sets may lie outside the interval around the call
// that set it: it covers truncation to the stored precision and a database server's clock.
const clockSlack = time.Second

// checkClock fails t unless got is a UTC time the store's clock could have given between
// from and to.
func checkClock(t *testing.T, what string, got, from, to time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v is in %v, want UTC", what, got, got.Location())
	}
	if got.Before(from.Add(-clockSlack)) || got.After(to.Add(clockSlack)) {
		t.Errorf("%s = %v, want between %v and %v", what, got, from, to)
	}
}

// cmpOpts compare records the way the contract promises: instants, not time zones, and
// nil slices equal to empty ones.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmpopts.EquateEmpty(),
}

// instant parses an RFC 3339 time; the fixtures use microseconds and non-UTC zones so that
// precision and zone handling both show.
func instant(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// binary is a payload with every byte value, so that encoding mistakes show.
func binary(prefix string) []byte {
	b := []byte(prefix)
	for i := range 256 {
		b = append(b, byte(i))
	}
	return b
}

// newJob is a plan job of pr in repo; key groups the jobs that supersede each other.
func newJob(kind, repo string, pr int, key string) store.NewJob {
	return store.NewJob{
		Kind:           kind,
		InstallationID: 4242,
		Repo:           repo,
		PR:             pr,
		SHA:            "0123456789abcdef0123456789abcdef01234567",
		Key:            key,
		Spec:           []byte(`{"project":"production"}`),
		MaxAttempts:    2,
	}
}

// ids returns the IDs of jobs in order.
func ids(jobs []store.Job) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// mustEnqueue queues jobs in order and returns them as stored.
func mustEnqueue(t *testing.T, s store.Store, jobs ...store.NewJob) []store.Job {
	t.Helper()
	out := make([]store.Job, len(jobs))
	for i, nj := range jobs {
		j, err := s.EnqueueJob(t.Context(), nj)
		if err != nil {
			t.Fatalf("EnqueueJob(%s): %v", nj.Kind, err)
		}
		out[i] = j
	}
	return out
}

// mustClaim claims the next job for owner and fails t when there is none.
func mustClaim(t *testing.T, s store.Store, owner string, lease time.Duration) store.Job {
	t.Helper()
	j, ok, err := s.ClaimJob(t.Context(), owner, lease)
	if err != nil || !ok {
		t.Fatalf("ClaimJob(%s) = ok %v, err %v; want a job", owner, ok, err)
	}
	return j
}

// mustGetJob reads job id.
func mustGetJob(t *testing.T, s store.Store, id int64) store.Job {
	t.Helper()
	j, err := s.GetJob(t.Context(), id)
	if err != nil {
		t.Fatalf("GetJob(%d): %v", id, err)
	}
	return j
}
