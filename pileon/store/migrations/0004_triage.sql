-- 0004: triage. Each `pileon triage` run writes its folders beside the earlier runs; the user's
-- own decisions live in their own append-only table, always win, and can never be deleted.

CREATE TABLE triage_runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,                          -- NULL: interrupted; the UI reads the last finished run
    rules_sha256  TEXT NOT NULL,                 -- hash of the rules text used
    rules_source  TEXT NOT NULL,                 -- file path, or "default"
    scores_source TEXT,                          -- backend/model_version read, NULL if not analysed
    posts         INTEGER NOT NULL DEFAULT 0,
    counts_json   TEXT NOT NULL DEFAULT '{}'     -- posts per folder
);

-- One row per post per run. `model_folder` is what the rules decided; `folder` is what the user
-- sees: the model's folder unless a user decision says otherwise (decisions are re-applied on
-- every run and also written here at once when the user decides, so paging never joins them).
CREATE TABLE post_folders (
    run_id       INTEGER NOT NULL REFERENCES triage_runs(id),
    platform     TEXT NOT NULL,
    post_id      TEXT NOT NULL,
    created_at   TEXT,                           -- copied from posts for paging and time filters
    lang         TEXT,                           -- classifier's language, else the platform's tag
    labels_json  TEXT NOT NULL DEFAULT '[]',
    category     TEXT,                           -- the abusive category that decided, if any
    model_folder TEXT NOT NULL,
    folder       TEXT NOT NULL,                  -- support | inbox | review | shielded
    rule         TEXT NOT NULL,                  -- which rule put it there (see --explain)
    signals      TEXT NOT NULL DEFAULT '',       -- account signals, comma separated
    cluster_id   TEXT,
    decided      INTEGER NOT NULL DEFAULT 0,     -- 1 when a user decision set `folder`
    explain_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (run_id, platform, post_id)
);
CREATE INDEX post_folders_page ON post_folders(run_id, folder, created_at);
CREATE INDEX post_folders_category ON post_folders(run_id, folder, category, created_at);
CREATE INDEX post_folders_lang ON post_folders(run_id, folder, lang, created_at);
CREATE INDEX post_folders_cluster ON post_folders(run_id, cluster_id);

-- The user's decisions: move, mark_abuse, mark_not_abuse, mark_supportive, note, block,
-- evidence, undo (value = the batch undone). Append-only: triggers refuse UPDATE and DELETE.
CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY,
    batch       TEXT NOT NULL,                   -- one bulk action = one batch, undone together
    platform    TEXT NOT NULL,
    post_id     TEXT NOT NULL,
    action      TEXT NOT NULL,
    value       TEXT,
    reason      TEXT,
    decided_at  TEXT NOT NULL,
    via         TEXT NOT NULL DEFAULT 'ui'       -- ui | cli
);
CREATE INDEX decisions_post ON decisions(platform, post_id);
CREATE INDEX decisions_batch ON decisions(batch);

CREATE TRIGGER decisions_never_deleted BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'user decisions are never deleted');
END;

CREATE TRIGGER decisions_never_changed BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'user decisions are never changed; add a new one');
END;

-- Review UI settings the user chose (interface language, unblur everything).
CREATE TABLE ui_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
