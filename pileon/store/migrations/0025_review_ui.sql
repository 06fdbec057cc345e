-- 0025: the review UI. Who made each decision (NULL: the author; else the trusted helper's
-- name), and full-text search over the analyzer's normalized spellings of every post.
ALTER TABLE decisions ADD COLUMN decided_by TEXT;

-- One row per post (rowid = posts.rowid): every normalized spelling of its words (diacritics
-- folded, Azerbaijani Cyrillic read as Latin, Russian and Armenian translit), so that each
-- spelling of a word finds the others. Filled from post_search_pending by pileon.web.search.
-- platform and post_id ride along (not indexed), so a search never has to read posts rows.
CREATE VIRTUAL TABLE post_search USING fts5(
    body, platform UNINDEXED, post_id UNINDEXED,
    tokenize = "unicode61 remove_diacritics 0", prefix = '2 3');

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
    DELETE FROM post_search_pending WHERE post_rowid = old.rowid;
END;
