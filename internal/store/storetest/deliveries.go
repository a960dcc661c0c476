package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/classla/gantry/internal/store"
)

// delivery is a pull_request delivery with a binary payload received at a fixed time.
func delivery(t *testing.T, id string) store.Delivery {
	t.Helper()
	return store.Delivery{
		ID:             id,
		Event:          "pull_request",
		Action:         "opened",
		InstallationID: 4242,
		Repo:           "acme/infra",
		Payload:        binary(`{"action":"opened"}`),
		ReceivedAt:     instant(t, "2026-11-03T14:05:06.123456+01:00"),
	}
}

var deliveryCases = []contractCase{
	{"a recorded delivery and its jobs read back as they were given", deliveryReadsBack},
	{"a delivery received twice makes its jobs once", deliveryTwice},
	{"a job without a kind rejects the whole delivery", deliveryWithKindlessJob},
	{"jobs that name no delivery belong to the one they were recorded with", deliveryOwnsItsJobs},
	{"a delivery without a received time gets the store's clock", deliveryReceivedNow},
	{"an unknown delivery is not found", deliveryUnknown},
}

func deliveryReadsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := delivery(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	jobs := []store.NewJob{
		newJob("plan", "acme/infra", 7, "acme/infra#7/production"),
		newJob("plan", "acme/infra", 7, "acme/infra#7/staging"),
	}
	for i := range jobs {
		jobs[i].DeliveryID = d.ID
	}
	from := time.Now()
	recorded, err := s.RecordDelivery(ctx, d, jobs)
	to := time.Now()
	if err != nil || !recorded {
		t.Fatalf("RecordDelivery = %v, %v; want recorded", recorded, err)
	}

	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpOpts); diff != "" {
		t.Errorf("GetDelivery (-recorded +read):\n%s", diff)
	}
	listed, err := s.ListJobs(ctx, store.JobFilter{DeliveryID: d.ID})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(listed) != len(jobs) {
		t.Fatalf("ListJobs found %d jobs of the delivery, want %d", len(listed), len(jobs))
	}
	for i, j := range listed {
		if diff := cmp.Diff(jobs[i], j.NewJob, cmpOpts); diff != "" {
			t.Errorf("job %d (-recorded +read):\n%s", i, diff)
		}
		if j.State != store.Queued || j.Attempts != 0 {
			t.Errorf("job %d is %s after %d attempts, want queued after 0", i, j.State, j.Attempts)
		}
		checkClock(t, "CreatedAt", j.CreatedAt, from, to)
	}
}

func deliveryTwice(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := delivery(t, "d-twice")
	first := []store.NewJob{newJob("plan", "acme/infra", 7, "")}
	if recorded, err := s.RecordDelivery(ctx, d, first); err != nil || !recorded {
		t.Fatalf("first RecordDelivery = %v, %v; want recorded", recorded, err)
	}
	again := d
	again.Payload = []byte(`{"redelivered":true}`)
	second := []store.NewJob{newJob("plan", "acme/infra", 7, ""), newJob("apply", "acme/infra", 7, "")}
	recorded, err := s.RecordDelivery(ctx, again, second)
	if err != nil || recorded {
		t.Fatalf("second RecordDelivery = %v, %v; want not recorded, no error", recorded, err)
	}
	all, err := s.ListJobs(ctx, store.JobFilter{})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(all) != 1 {
		t.Errorf("the store holds %d jobs, want the 1 job of the first delivery", len(all))
	}
	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	if diff := cmp.Diff(d.Payload, got.Payload); diff != "" {
		t.Errorf("the redelivery replaced the payload (-first +stored):\n%s", diff)
	}
}

func deliveryWithKindlessJob(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := delivery(t, "d-bad-job")
	bad := []store.NewJob{newJob("plan", "acme/infra", 7, ""), {Repo: "acme/infra", PR: 7}}
	if recorded, err := s.RecordDelivery(ctx, d, bad); err == nil || recorded {
		t.Fatalf("RecordDelivery with a kindless job = %v, %v; want an error", recorded, err)
	}
	if _, err := s.GetDelivery(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery after the failed record: err %v, want ErrNotFound", err)
	}
	if all, err := s.ListJobs(ctx, store.JobFilter{}); err != nil || len(all) != 0 {
		t.Errorf("ListJobs after the failed record = %d jobs, %v; want none", len(all), err)
	}
	// GitHub redelivers a delivery that was not acknowledged; it must be recordable then.
	if recorded, err := s.RecordDelivery(ctx, d, bad[:1]); err != nil || !recorded {
		t.Errorf("RecordDelivery after the failure = %v, %v; want recorded", recorded, err)
	}
}

func deliveryOwnsItsJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := delivery(t, "d-implied")
	if _, err := s.RecordDelivery(ctx, d, []store.NewJob{newJob("plan", "acme/infra", 7, "")}); err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	listed, err := s.ListJobs(ctx, store.JobFilter{DeliveryID: d.ID})
	if err != nil || len(listed) != 1 || listed[0].DeliveryID != d.ID {
		t.Errorf("ListJobs(delivery %s) = %+v, %v; want the one job, naming the delivery", d.ID, listed, err)
	}
}

func deliveryReceivedNow(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := delivery(t, "d-now")
	d.ReceivedAt = time.Time{}
	from := time.Now()
	if _, err := s.RecordDelivery(ctx, d, nil); err != nil {
		t.Fatalf("RecordDelivery: %v", err)
	}
	to := time.Now()
	got, err := s.GetDelivery(ctx, d.ID)
	if err != nil {
		t.Fatalf("GetDelivery: %v", err)
	}
	checkClock(t, "ReceivedAt", got.ReceivedAt, from, to)
}

func deliveryUnknown(t *testing.T, s store.Store) {
	if _, err := s.GetDelivery(t.Context(), "never-sent"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery: err %v, want ErrNotFound", err)
	}
}
