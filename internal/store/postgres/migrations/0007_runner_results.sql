-- What a runner of the GitHub Actions executor sends back, and how its workflow run ended.
-- result is the outcome JSON the runner posted, NULL until it reported (reported_at is set in the
-- same update, so a result is recorded once); result_error is the job's failure text, '' when it
-- succeeded. log is the runner's log, capped: log_truncated says that its end was dropped.
-- run_conclusion, run_url and run_ended_at come from the workflow_run / workflow_job event that
-- says the run completed; run_ended_at is NULL until then. result_error is BYTEA, not TEXT (as in
-- SQLite): the runner sends it, and it is kept byte for byte, NUL and invalid UTF-8 included,
-- which PostgreSQL's TEXT refuses.
ALTER TABLE runner_jobs ADD COLUMN result BYTEA;
ALTER TABLE runner_jobs ADD COLUMN result_error BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE runner_jobs ADD COLUMN reported_at TIMESTAMPTZ;
ALTER TABLE runner_jobs ADD COLUMN log BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE runner_jobs ADD COLUMN log_truncated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE runner_jobs ADD COLUMN run_conclusion TEXT NOT NULL DEFAULT '';
ALTER TABLE runner_jobs ADD COLUMN run_url TEXT NOT NULL DEFAULT '';
ALTER TABLE runner_jobs ADD COLUMN run_ended_at TIMESTAMPTZ;
-- EndRunnerRun finds the dispatch by its run.
CREATE INDEX runner_jobs_run_id ON runner_jobs (run_id) WHERE run_id <> 0;
