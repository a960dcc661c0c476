-- Jobs that must never overlap (applies of one project) share a mutex: a queued job is only
-- claimed when no running job holds its mutex.
ALTER TABLE jobs ADD COLUMN mutex TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_mutex_state ON jobs (mutex, state, id);
-- Replicas claim in parallel transactions, each of which may see no running job of a mutex:
-- the database, not the claim's check, keeps a mutex to one running job. A claim that loses
-- this race fails on the index and is retried (see ClaimJob).
CREATE UNIQUE INDEX jobs_running_mutex ON jobs (mutex) WHERE state = 'running' AND mutex <> '';
