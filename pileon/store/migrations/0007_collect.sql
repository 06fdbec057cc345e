-- 0007: live collection. Every HTTP response pileon received (its bytes live in raw_payloads,
-- keyed by SHA-256; here the request URL, status and headers, enough for a WARC response
-- record), the rounds of collection around one post, resumable cursors, and which posts each
-- round saw (a post a later round no longer sees is checked, and marked deleted at source).

CREATE TABLE collect_rounds (
    id           INTEGER PRIMARY KEY,
    target       TEXT NOT NULL,               -- platform + root post, e.g. "mastodon:host/1122"
    platform     TEXT NOT NULL,
    root_id      TEXT,                        -- posts.id of the post collected around, once known
    url          TEXT NOT NULL,               -- the URL the user gave
    started_at   TEXT NOT NULL,
    finished_at  TEXT,                        -- NULL: interrupted; the next collect resumes it
    requests     INTEGER NOT NULL DEFAULT 0,
    new_posts    INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    notes_json   TEXT NOT NULL DEFAULT '[]'   -- what could not be collected, and why
);
CREATE INDEX collect_rounds_target ON collect_rounds(target, id);

-- Progress of one round, step by step: a cursor (the platform's, or pileon's own queue).
CREATE TABLE collect_state (
    round_id   INTEGER NOT NULL REFERENCES collect_rounds(id),
    step       TEXT NOT NULL,                 -- thread | quotes | walk | profiles | mentions ...
    cursor     TEXT,
    done       INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (round_id, step)
);

CREATE TABLE collect_seen (
    round_id   INTEGER NOT NULL REFERENCES collect_rounds(id),
    platform   TEXT NOT NULL,
    post_id    TEXT NOT NULL,
    found_via  TEXT NOT NULL,                 -- thread | quotes | walk | mentions | notifications
    first_seen INTEGER NOT NULL DEFAULT 0,    -- 1: the store did not hold this post before
    PRIMARY KEY (round_id, platform, post_id)
);

CREATE TABLE http_exchanges (
    id           INTEGER PRIMARY KEY,
    raw_sha256   TEXT NOT NULL REFERENCES raw_payloads(sha256),
    method       TEXT NOT NULL,
    url          TEXT NOT NULL,               -- full request URL; credentials only in headers
    status       INTEGER NOT NULL,
    reason       TEXT,
    http_version TEXT,
    headers_json TEXT NOT NULL,               -- response headers [[name, value], ...] as received
    requested_at TEXT NOT NULL,
    purpose      TEXT NOT NULL,               -- thread | quotes | profiles | resolve | retried ...
    round_id     INTEGER REFERENCES collect_rounds(id)
);
CREATE INDEX http_exchanges_raw ON http_exchanges(raw_sha256);
CREATE INDEX http_exchanges_round ON http_exchanges(round_id);

-- The first response that brought a payload's bytes, on the payload itself: WARC writers that
-- read raw_payloads alone (one record per payload) can then write a `response` record.
ALTER TABLE raw_payloads ADD COLUMN request_url TEXT;
ALTER TABLE raw_payloads ADD COLUMN http_status INTEGER;
ALTER TABLE raw_payloads ADD COLUMN response_headers_json TEXT;
