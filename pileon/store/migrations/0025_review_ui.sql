-- 0025: the review UI. Who made each decision (NULL: the author; else the trusted helper's
-- name), and full-text search over the analyzer's normalized spellings of every post.
ALTER TABLE decisions ADD COLUMN decided_by TEXT;

-- One row per post (rowid = posts.rowid): every normalized spelling of its words (diacritics
-- folded, Azerbaijani Cyrillic read as Latin, Russian and Armenian translit), so that each
-- spelling of a word finds the others. Filled from post_search_pending by pileon.web.search.
CREATE VIRTUAL TABLE post_search USING fts5(
    body, tokenize = "unicode61 remove_diacritics 0", prefix = '2 3');

-- Which post each post_search row is, in small rows: a search reads these, not the wide posts
-- rows or the indexed bodies (7,700 matches in 100k posts: ~10 ms instead of ~80 ms).
CREATE TABLE post_search_keys (
    id       INTEGER PRIMARY KEY,                -- = post_search.rowid = posts.rowid
    platform TEXT NOT NULL,
    post_id  TEXT NOT NULL
);

-- Posts whose text is new or changed and not yet in post_search. (The triggers test for an
-- existing row rather than use OR IGNORE: an outer upsert's conflict policy would override it.)
CREATE TABLE post_search_pending (post_rowid INTEGER PRIMARY KEY);
INSERT INTO post_search_pending (post_rowid) SELECT rowid FROM posts;

CREATE TRIGGER posts_search_insert AFTER INSERT ON posts
BEGIN
    INSERT INTO post_search_pending (post_rowid) SELECT new.rowid
        WHERE NOT EXISTS (SELECT 1 FROM post_search_pending WHERE post_rowid = new.rowid);
END;

CREATE TRIGGER posts_search_update AFTER UPDATE OF text ON posts
BEGIN
    INSERT INTO post_search_pending (post_rowid) SELECT new.rowid
        WHERE NOT EXISTS (SELECT 1 FROM post_search_pending WHERE post_rowid = new.rowid);
END;

CREATE TRIGGER posts_search_delete AFTER DELETE ON posts
BEGIN
    DELETE FROM post_search WHERE rowid = old.rowid;
    DELETE FROM post_search_keys WHERE id = old.rowid;
    DELETE FROM post_search_pending WHERE post_rowid = old.rowid;
END;
