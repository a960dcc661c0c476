-- The runner side of a job run by the GitHub Actions executor: the opaque reference the
-- workflow was dispatched with, the run it started, and the runner's claim. One row per job:
-- a job is dispatched at most once. ref is what the runner presents, never the job's id, so
-- that job ids cannot be guessed into claims.
CREATE TABLE runner_jobs (
    job_id        BIGINT PRIMARY KEY REFERENCES jobs (id),
    ref           TEXT NOT NULL UNIQUE CHECK (ref <> ''),
    environment   TEXT NOT NULL CHECK (environment <> ''),
    run_id        BIGINT NOT NULL DEFAULT 0,
    dispatched_at TIMESTAMPTZ NOT NULL,
    -- NULL until claimed; the claim is the update that sets it, so only one ever succeeds.
    claimed_at    TIMESTAMPTZ,
    heartbeat_at  TIMESTAMPTZ,
    -- SHA-256 of the job token given to the claiming runner; '' before the claim.
    token_hash    TEXT NOT NULL DEFAULT ''
);
