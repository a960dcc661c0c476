-- Jobs that must never overlap (applies of one project) share a mutex: a queued job is only
-- claimed when no running job holds its mutex.
ALTER TABLE jobs ADD COLUMN mutex TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_mutex_state ON jobs (mutex, state);
