-- 0002: classifier results. Each `pileon analyze` run writes scores beside earlier runs and
-- models (never over them, never touching the user's decisions); readers take the newest.

CREATE TABLE analysis_runs (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,                          -- NULL: interrupted; a re-run resumes it
    backend       TEXT NOT NULL,                 -- builtin | transformers | a plugin's name
    model_version TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    posts         INTEGER NOT NULL DEFAULT 0     -- posts scored by this run
);

-- One row per post per backend and model version. `labels_json` is the list of labels at or
-- above their thresholds; `scores_json` maps all twelve labels to 0..1; `evidence_json` is a
-- list of {start, end, text, category, rule, severity, source} with offsets into posts.text.
CREATE TABLE scores (
    run_id          INTEGER REFERENCES analysis_runs(id),
    platform        TEXT NOT NULL,
    post_id         TEXT NOT NULL,
    backend         TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    lang            TEXT NOT NULL,               -- our language ID: az tr ru en hy fr und
    lang_confidence REAL NOT NULL,
    labels_json     TEXT NOT NULL,
    scores_json     TEXT NOT NULL,
    evidence_json   TEXT NOT NULL DEFAULT '[]',
    analyzed_at     TEXT NOT NULL,
    PRIMARY KEY (platform, post_id, backend, model_version)
);
CREATE INDEX scores_newest ON scores(platform, post_id, analyzed_at);
