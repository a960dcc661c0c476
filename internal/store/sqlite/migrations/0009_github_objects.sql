-- What each job opened on GitHub (check runs, deployments, comments), recorded as it opens them,
-- so that a job cut off by a crash can have them closed by whoever finds it. closed: the job
-- ended the object itself.
CREATE TABLE github_objects (
    job_id     INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    github_id  INTEGER NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    closed     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    UNIQUE (job_id, kind, github_id)
);
