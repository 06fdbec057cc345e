-- 0003: coordination results. Every `pileon coordination` run adds a run row and its own
-- clusters, members, bursts, account signals and co-action edges beside the older runs; readers
-- take the newest finished run. Nothing here touches posts, accounts or user decisions.

CREATE TABLE coordination_runs (
    id               INTEGER PRIMARY KEY,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,                          -- NULL: interrupted; readers skip it
    tool_version     TEXT NOT NULL,
    params_json      TEXT NOT NULL,                 -- every parameter, to reproduce the numbers
    window_semantics TEXT NOT NULL,                 -- what "within W" meant, in words
    posts            INTEGER NOT NULL,
    not_computed_json TEXT NOT NULL DEFAULT '[]',   -- what could not be computed, and why
    summary_json     TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE clusters (
    run_id           INTEGER NOT NULL REFERENCES coordination_runs(id),
    id               INTEGER NOT NULL,
    kind             TEXT NOT NULL,                 -- near_duplicate
    verdict          TEXT NOT NULL,                 -- coordinated | synchronised | near_duplicate
    size             INTEGER NOT NULL,
    accounts         INTEGER NOT NULL,
    first_at         TEXT,
    last_at          TEXT,
    undated          INTEGER NOT NULL,
    template_platform TEXT NOT NULL,
    template_post_id TEXT NOT NULL,
    template_text    TEXT NOT NULL,                 -- the medoid member's original text
    mean_similarity  REAL NOT NULL,                 -- exact Jaccard to the template
    min_similarity   REAL NOT NULL,
    groups_json      TEXT NOT NULL DEFAULT '[]',    -- synchronised groups: size, times, why
    PRIMARY KEY (run_id, id)
);

CREATE TABLE cluster_members (
    run_id      INTEGER NOT NULL REFERENCES coordination_runs(id),
    cluster_id  INTEGER NOT NULL,
    platform    TEXT NOT NULL,
    post_id     TEXT NOT NULL,
    author_id   TEXT,
    created_at  TEXT,
    similarity  REAL NOT NULL,                      -- exact Jaccard to the cluster's template
    group_index INTEGER,                            -- synchronised group, NULL = none
    coordinated INTEGER NOT NULL DEFAULT 0,         -- 1 = in a group with time + account evidence
    PRIMARY KEY (run_id, platform, post_id)
);
CREATE INDEX cluster_members_cluster ON cluster_members(run_id, cluster_id);

CREATE TABLE bursts (
    run_id          INTEGER NOT NULL REFERENCES coordination_runs(id),
    start_at        TEXT NOT NULL,
    end_at          TEXT NOT NULL,                  -- exclusive
    posts           INTEGER NOT NULL,
    expected        REAL NOT NULL,                  -- the baseline over the same minutes
    peak_per_minute INTEGER NOT NULL,
    peak_z          REAL NOT NULL,
    clustered_posts INTEGER NOT NULL
);
CREATE INDEX bursts_run ON bursts(run_id);

CREATE TABLE account_signals (
    run_id        INTEGER NOT NULL REFERENCES coordination_runs(id),
    platform      TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    handle        TEXT,
    score         REAL NOT NULL,                    -- 0..1 coordination score
    profile_score REAL,                             -- NULL: no profile signal known
    signals_json  TEXT NOT NULL,                    -- name -> true / false / null (unknown)
    reasons_json  TEXT NOT NULL,
    replies       INTEGER NOT NULL,
    clusters      INTEGER NOT NULL,
    component     INTEGER,                          -- co-action component, NULL = none
    PRIMARY KEY (run_id, platform, account_id)
);

CREATE TABLE coaction_edges (
    run_id     INTEGER NOT NULL REFERENCES coordination_runs(id),
    source     TEXT NOT NULL,                       -- "platform:account_id"
    target     TEXT NOT NULL,
    co_posts   INTEGER NOT NULL,
    co_replies INTEGER NOT NULL,
    PRIMARY KEY (run_id, source, target)
);
