-- The keys gantry signs its workload identity tokens with (SPEC §10). generation orders them and,
-- as the primary key, lets exactly one of several processes rotating at once add the next key.
-- sealed is the private key encrypted by the server; the database never holds it in clear.
CREATE TABLE signing_keys (
    generation  BIGINT PRIMARY KEY,
    kid         TEXT NOT NULL UNIQUE,
    sealed      BYTEA NOT NULL,
    active_from TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
