-- Who asked for a plan, and whether it may ever be applied: a plan asked for by a user without
-- write permission is shown but never applied. Plans saved before this migration are of
-- unknown origin, so they are not applicable: `/apply` asks for a new `/plan`.
ALTER TABLE plans ADD COLUMN applicable BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE plans ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
