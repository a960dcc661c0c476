-- Times are INTEGER microseconds since the Unix epoch (UTC); NULL is the zero time.
-- Empty optional references are NULL so that foreign keys hold.

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event           TEXT NOT NULL,
    action          TEXT NOT NULL,
    installation_id INTEGER NOT NULL,
    repo            TEXT NOT NULL,
    payload         BLOB,
    received_at     INTEGER NOT NULL
);

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT NOT NULL CHECK (kind <> ''),
    delivery_id      TEXT REFERENCES deliveries (id),
    installation_id  INTEGER NOT NULL,
    repo             TEXT NOT NULL,
    pr               INTEGER NOT NULL,
    sha              TEXT NOT NULL,
    job_key          TEXT NOT NULL,
    spec             BLOB,
    max_attempts     INTEGER NOT NULL,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    owner            TEXT NOT NULL DEFAULT '',
    lease_until      INTEGER,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    error            TEXT NOT NULL DEFAULT '',
    result           BLOB,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);

-- ClaimJob takes the lowest id in state queued; ExpireLeases scans state running.
CREATE INDEX jobs_state_id ON jobs (state, id);
-- CancelJobs supersedes by key.
CREATE INDEX jobs_key ON jobs (job_key);

CREATE TABLE locks (
    repo        TEXT NOT NULL,
    project     TEXT NOT NULL,
    workspace   TEXT NOT NULL,
    pr          INTEGER NOT NULL,
    user_login  TEXT NOT NULL,
    sha         TEXT NOT NULL,
    acquired_at INTEGER NOT NULL,
    PRIMARY KEY (repo, project, workspace)
);

CREATE TABLE plans (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    repo       TEXT NOT NULL,
    pr         INTEGER NOT NULL,
    project    TEXT NOT NULL,
    workspace  TEXT NOT NULL,
    sha        TEXT NOT NULL,
    changes    BLOB,
    file       BLOB,
    json       BLOB,
    created_at INTEGER NOT NULL
);

CREATE INDEX plans_pr_project ON plans (repo, pr, project, id);

CREATE TABLE deployments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    repo                 TEXT NOT NULL,
    service              TEXT NOT NULL,
    sha                  TEXT NOT NULL,
    pr                   INTEGER NOT NULL,
    actor                TEXT NOT NULL,
    image                TEXT NOT NULL,
    image_digest         TEXT NOT NULL,
    task_def_before      TEXT NOT NULL,
    task_def_after       TEXT NOT NULL,
    state                TEXT NOT NULL,
    rollback_of          INTEGER REFERENCES deployments (id),
    github_deployment_id INTEGER NOT NULL,
    error                TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    started_at           INTEGER,
    finished_at          INTEGER
);

CREATE INDEX deployments_service ON deployments (repo, service, id);

CREATE TABLE installations (
    id         INTEGER PRIMARY KEY,
    account    TEXT NOT NULL,
    suspended  BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
