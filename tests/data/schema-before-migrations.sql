-- The schema of the last atelier release before migrations (a data dir it made): what
-- tests/test_migrations.py upgrades in place.
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    credits INTEGER NOT NULL CHECK (credits >= 0),
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created REAL NOT NULL,
    revoked REAL
);
-- Every movement of credits: top-ups ('credited') and holds that end 'charged' or 'released'.
CREATE TABLE IF NOT EXISTS ledger (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    units INTEGER NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('held', 'charged', 'released', 'credited')),
    created REAL NOT NULL,
    settled REAL
);
CREATE INDEX IF NOT EXISTS ledger_state ON ledger(state);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    extension TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS images_expires ON images(expires);
CREATE TABLE IF NOT EXISTS styles (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    style TEXT NOT NULL,
    palette TEXT NOT NULL,
    images INTEGER NOT NULL,
    created REAL NOT NULL,
    substyle TEXT,
    is_private INTEGER NOT NULL DEFAULT 1,
    model TEXT,
    options TEXT NOT NULL DEFAULT '{}'  -- JSON: match, mix_policy, prompt, weights, ...
);
CREATE INDEX IF NOT EXISTS styles_user ON styles(user_id);
-- Idempotency-Key: one row per user and key; 'running' until its response is stored ('done').
CREATE TABLE IF NOT EXISTS idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
    status INTEGER,
    content_type TEXT,
    body BLOB,
    created REAL NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency_keys(created);
-- The images each user asked for recently: the rate limit's sliding window, for every process.
CREATE TABLE IF NOT EXISTS rate_events (
    user_id TEXT NOT NULL,
    at REAL NOT NULL,
    images INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_user ON rate_events(user_id, at);
-- Work one server process at a time does (the sweep): who holds it, until when.
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL
);
-- Secrets every server process on this database shares (the URL-signing key).
CREATE TABLE IF NOT EXISTS server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- Added at start-up by the last release before migrations (its ADDED_COLUMNS).
ALTER TABLE ledger ADD COLUMN owner TEXT;
ALTER TABLE ledger ADD COLUMN lease_until REAL;
