-- 0001: the evidence core. Raw payloads byte-for-byte with their SHA-256; posts and accounts
-- normalised from them; every distinct version of a post; rejected records; the custody log.

CREATE TABLE raw_payloads (
    sha256          TEXT PRIMARY KEY,            -- SHA-256 of `data`, lowercase hex
    data            BLOB NOT NULL,               -- the bytes exactly as read or received
    size_bytes      INTEGER NOT NULL,
    source          TEXT NOT NULL,               -- file path or request URL
    locator         TEXT,                        -- where inside the source: "line 12", "page 3"
    adapter         TEXT NOT NULL,               -- x | bluesky | mastodon | csv | jsonl | ...
    adapter_version TEXT NOT NULL,
    fetched_at      TEXT NOT NULL,               -- ISO 8601 UTC: when pileon read or fetched it
    ingest_run_id   INTEGER REFERENCES ingest_runs(id)
);

CREATE TABLE accounts (
    platform        TEXT NOT NULL,
    id              TEXT NOT NULL,               -- platform's own id (DID, numeric id)
    handle          TEXT,
    display_name    TEXT,
    created_at      TEXT,                        -- NULL = unknown
    followers_count INTEGER,
    following_count INTEGER,
    posts_count     INTEGER,
    has_avatar      INTEGER,                     -- 1 / 0 / NULL = unknown
    description     TEXT,
    url             TEXT,
    raw_sha256      TEXT NOT NULL REFERENCES raw_payloads(sha256),
    seen_at         TEXT NOT NULL,
    PRIMARY KEY (platform, id)
);

CREATE TABLE posts (
    platform          TEXT NOT NULL,
    id                TEXT NOT NULL,
    kind              TEXT NOT NULL,             -- root | reply | quote | mention | repost
    text              TEXT NOT NULL,
    author_id         TEXT,
    uri               TEXT,
    url               TEXT,
    lang_reported     TEXT,                      -- the platform's language tag, as given
    created_at        TEXT,
    reply_to          TEXT,
    quote_of          TEXT,
    root_id           TEXT,
    metrics_json      TEXT,
    placeholder       TEXT,                      -- e.g. not_found / blocked: known only by id
    deleted_at_source TEXT,                      -- when pileon noticed it was gone at the source
    raw_sha256        TEXT NOT NULL REFERENCES raw_payloads(sha256),
    seen_at           TEXT NOT NULL,             -- fetched_at of the payload this row came from
    PRIMARY KEY (platform, id)
);
CREATE INDEX posts_created_at ON posts(created_at);
CREATE INDEX posts_author ON posts(platform, author_id);

-- Every distinct version of a post (edits, deletions): evidence, never overwritten.
CREATE TABLE post_versions (
    platform        TEXT NOT NULL,
    post_id         TEXT NOT NULL,
    content_sha256  TEXT NOT NULL,               -- hash of the version's text + state
    text            TEXT NOT NULL,
    placeholder     TEXT,
    raw_sha256      TEXT NOT NULL REFERENCES raw_payloads(sha256),
    seen_at         TEXT NOT NULL,
    PRIMARY KEY (platform, post_id, content_sha256)
);

CREATE TABLE rejects (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    locator     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    raw         BLOB NOT NULL,
    raw_sha256  TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    UNIQUE (source, locator, raw_sha256)
);

CREATE TABLE ingest_runs (
    id           INTEGER PRIMARY KEY,
    source       TEXT NOT NULL,
    format       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,                           -- NULL: interrupted (a re-run finishes the job)
    payloads_new INTEGER NOT NULL DEFAULT 0,
    payloads_seen INTEGER NOT NULL DEFAULT 0,
    posts        INTEGER NOT NULL DEFAULT 0,
    accounts     INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0
);

-- Chain of custody: every action on the evidence, with time, tool version and hashes.
CREATE TABLE custody_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    action       TEXT NOT NULL,                  -- ingest | collect | analyze | decision | report | export
    tool_version TEXT NOT NULL,
    details_json TEXT NOT NULL,
    sha256s_json TEXT NOT NULL DEFAULT '[]'
);
