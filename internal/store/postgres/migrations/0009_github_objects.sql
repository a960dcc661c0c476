-- What each job opened on GitHub (check runs, deployments, comments), recorded as it opens them,
-- so that a job cut off by a crash can have them closed by whoever finds it. closed: the job
-- ended the object itself.
CREATE TABLE github_objects (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    github_id  BIGINT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    closed     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (job_id, kind, github_id)
);
