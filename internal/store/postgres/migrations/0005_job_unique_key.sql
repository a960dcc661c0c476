-- A job queued with unique_key set owns its job_key: no other such job may share it, across
-- processes (the apply of a merge is queued by its closed pull request and by its push, and
-- must be queued once). Jobs without it may share a key with it (a retried apply).
ALTER TABLE jobs ADD COLUMN unique_key BOOLEAN NOT NULL DEFAULT FALSE;
-- Before, an apply or deployment was queued once by looking for its key first: the first job
-- of each such key holds it, so a delivery that comes after the upgrade does not queue it again.
UPDATE jobs SET unique_key = TRUE WHERE id IN (
    SELECT MIN(id) FROM jobs WHERE kind IN ('apply', 'deploy') AND job_key <> '' GROUP BY job_key);
CREATE UNIQUE INDEX jobs_unique_key ON jobs (job_key) WHERE unique_key;
-- The applies and deployments of one commit are found by repository and commit.
CREATE INDEX jobs_repo_sha ON jobs (repo, sha);
