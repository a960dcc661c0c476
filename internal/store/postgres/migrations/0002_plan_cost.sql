-- The cost of a plan, kept so that an apply can hold a plan whose monthly cost rises above the
-- project's max_monthly_increase until someone confirms it.
ALTER TABLE plans ADD COLUMN monthly_cost_delta DOUBLE PRECISION;
ALTER TABLE plans ADD COLUMN cost_exceeded BOOLEAN NOT NULL DEFAULT FALSE;
