// Package metrics holds gantry's Prometheus metrics: deliveries, jobs by kind and outcome,
// durations and queue depth. It uses its own registry, never the global one, so tests and
// several servers in one process do not collide.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/classla/gantry/internal/store"
)

// Metrics implements webhook.Observer and job.Observer.
type Metrics struct {
	Registry *prometheus.Registry

	deliveries      *prometheus.CounterVec
	deliveryLatency *prometheus.HistogramVec
	jobsStarted     *prometheus.CounterVec
	jobsFinished    *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
}

// New registers gantry's metrics. counter gives the job counts per state for the queue-depth
// gauges at scrape time (the store is the truth across replicas); it may be nil.
func New(counter func(context.Context) (map[store.JobState]int, error), log *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_webhook_deliveries_total",
			Help: "Webhook deliveries by event and outcome (accepted, duplicate, ignored, rejected, error).",
		}, []string{"event", "outcome"}),
		deliveryLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gantry_webhook_duration_seconds",
			Help:    "Time from receiving a delivery to answering it, including the durable write.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
		jobsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_jobs_started_total",
			Help: "Jobs started by this process, by kind.",
		}, []string{"kind"}),
		jobsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gantry_jobs_finished_total",
			Help: "Jobs finished by this process, by kind and outcome (succeeded, failed, canceled).",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gantry_job_duration_seconds",
			Help:    "How long jobs ran, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2.5, 12), // 50 ms … ~2 h
		}, []string{"kind"}),
	}
	reg.MustRegister(m.deliveries, m.deliveryLatency, m.jobsStarted, m.jobsFinished, m.jobDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if counter != nil {
		reg.MustRegister(&queueCollector{count: counter, log: log})
	}
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Delivery implements webhook.Observer.
func (m *Metrics) Delivery(event, outcome string, d time.Duration) {
	if event == "" {
		event = "unknown"
	}
	m.deliveries.WithLabelValues(event, outcome).Inc()
	m.deliveryLatency.WithLabelValues(outcome).Observe(d.Seconds())
}

// JobStarted implements job.Observer.
func (m *Metrics) JobStarted(kind string) { m.jobsStarted.WithLabelValues(kind).Inc() }

// JobFinished implements job.Observer.
func (m *Metrics) JobFinished(kind string, state store.JobState, d time.Duration) {
	m.jobsFinished.WithLabelValues(kind, string(state)).Inc()
	if d > 0 {
		m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
	}
}

var queueDesc = prometheus.NewDesc("gantry_jobs", "Jobs in the store by state (queue depth: state=\"queued\").",
	[]string{"state"}, nil)

// queueCollector reads job counts from the store at scrape time.
type queueCollector struct {
	count func(context.Context) (map[store.JobState]int, error)
	log   *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		if c.log != nil {
			c.log.Warn("counting jobs for /metrics failed", "err", err)
		}
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	for _, s := range []store.JobState{store.Queued, store.Running, store.Succeeded, store.Failed, store.Canceled} {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
