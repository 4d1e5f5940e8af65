// The schema, as an ordered list of migrations; PRAGMA user_version counts those applied.
//
// Append new migrations at the end; never edit one that has shipped. Each runs in its own
// transaction with the version bump, so a crash mid-migration leaves the previous schema intact.

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE parties (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('agent', 'maintainer')),
    sign_key BLOB NOT NULL UNIQUE CHECK (length(sign_key) = 32),
    box_key BLOB NOT NULL CHECK (length(box_key) = 32),
    fingerprint TEXT NOT NULL,
    groups_json TEXT NOT NULL DEFAULT '[]',
    contact TEXT,
    declaration_json TEXT,
    enrolled_at INTEGER NOT NULL,
    last_seen_at INTEGER,
    connected_since INTEGER,
    revoked_at INTEGER
  );

  CREATE TABLE tokens (
    hash TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('agent', 'maintainer')),
    name TEXT NOT NULL,
    groups_json TEXT NOT NULL DEFAULT '[]',
    contact TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    used_by INTEGER REFERENCES parties(id)
  );

  CREATE TABLE embargoes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    testers_json TEXT NOT NULL,
    maintainers_json TEXT NOT NULL,
    until_ms INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    withdrawn_at INTEGER,
    expired_at INTEGER
  );

  CREATE TABLE bundles (
    id TEXT PRIMARY KEY CHECK (length(id) = 32),
    embargo_id INTEGER NOT NULL REFERENCES embargoes(id),
    submitter_id INTEGER NOT NULL REFERENCES parties(id),
    header BLOB NOT NULL,
    trees_json TEXT NOT NULL,
    workloads_json TEXT NOT NULL,
    payload_path TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL,
    received_bytes INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    accepted_at INTEGER
  );
  CREATE INDEX bundles_embargo ON bundles(embargo_id);

  CREATE TABLE stanzas (
    bundle_id TEXT NOT NULL REFERENCES bundles(id),
    party_id INTEGER NOT NULL REFERENCES parties(id),
    stanza BLOB NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (bundle_id, party_id)
  ) WITHOUT ROWID;

  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    bundle_id TEXT NOT NULL REFERENCES bundles(id),
    agent_id INTEGER NOT NULL REFERENCES parties(id),
    tree TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'offered', 'running', 'done', 'lost', 'cancelled', 'miss')),
    attempt INTEGER NOT NULL,
    queued_at INTEGER NOT NULL,
    offered_at INTEGER,
    started_at INTEGER,
    lease_until INTEGER,
    lapsed_at INTEGER,
    finished_at INTEGER,
    status TEXT,
    stage TEXT,
    reason TEXT,
    cancel_delivered_at INTEGER,
    UNIQUE (bundle_id, agent_id, tree)
  );
  CREATE INDEX jobs_agent_state ON jobs(agent_id, state);
  CREATE INDEX jobs_state ON jobs(state);

  CREATE TABLE results (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    attempt INTEGER NOT NULL,
    result_id TEXT NOT NULL UNIQUE,
    signed BLOB NOT NULL,
    status TEXT NOT NULL,
    stages_json TEXT NOT NULL,
    sealed_logs BLOB,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, attempt)
  );

  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details_json TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
  );
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'Audit rows are append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'Audit rows are append-only'); END;

  CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY,
    party_id INTEGER NOT NULL REFERENCES parties(id),
    embargo_id INTEGER REFERENCES embargoes(id),
    tree TEXT,
    webhook TEXT,
    created_at INTEGER NOT NULL,
    CHECK ((embargo_id IS NULL) <> (tree IS NULL))
  );
  CREATE INDEX subscriptions_party ON subscriptions(party_id);
  `,
  `
  ALTER TABLE embargoes ADD COLUMN bar_json TEXT;

  CREATE TABLE bar_verdicts (
    bundle_id TEXT PRIMARY KEY REFERENCES bundles(id),
    verdict TEXT NOT NULL CHECK (verdict IN ('met', 'pending', 'failed')),
    judged_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE approval_lists (
    party_id INTEGER PRIMARY KEY REFERENCES parties(id),
    signed BLOB NOT NULL,
    stored_at INTEGER NOT NULL
  );
  `,
  // Box keys are unique across parties, as signing keys always were (THREAT-MODEL 25).
  `
  CREATE UNIQUE INDEX parties_box_key ON parties(box_key);
  `,
  `
  ALTER TABLE embargoes ADD COLUMN disclosed_at INTEGER;

  CREATE TABLE mail_subscriptions (
    id INTEGER PRIMARY KEY,
    party_id INTEGER NOT NULL REFERENCES parties(id),
    address TEXT NOT NULL,
    embargo_id INTEGER REFERENCES embargoes(id),
    tree TEXT,
    names_embargo INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CHECK (embargo_id IS NULL OR tree IS NULL)
  );
  CREATE INDEX mail_subscriptions_party ON mail_subscriptions(party_id);

  CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY,
    event_key TEXT NOT NULL,
    address TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    notification_json TEXT NOT NULL,
    names_embargo INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER,
    abandoned_at INTEGER,
    last_error TEXT,
    UNIQUE (event_key, address)
  );
  CREATE INDEX mail_queue_due ON mail_queue(next_attempt_at) WHERE sent_at IS NULL AND abandoned_at IS NULL;

  CREATE TABLE embargo_maintainers_told (
    embargo_id INTEGER NOT NULL REFERENCES embargoes(id),
    party_id INTEGER NOT NULL REFERENCES parties(id),
    told_at INTEGER NOT NULL,
    PRIMARY KEY (embargo_id, party_id)
  ) WITHOUT ROWID;
  `,
];
