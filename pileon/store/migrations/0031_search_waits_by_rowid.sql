-- 0031: a new post waits for the search index by its rowid alone. The insert trigger of 0025
-- wrote a post_search_pending row per post (through a temporary table, since it read the table
-- it wrote): about a third of the cost of storing a post. Now every post whose rowid is above
-- post_search_state.indexed_upto is waiting, whoever wrote it; post_search_pending keeps only
-- posts whose text changed after they were indexed. Search results are unchanged.
DROP TRIGGER IF EXISTS posts_search_insert;
DROP TRIGGER IF EXISTS posts_search_update;
DROP TRIGGER IF EXISTS posts_search_delete;

-- One row: how far (by posts.rowid) the search index has read the posts table.
CREATE TABLE post_search_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto INTEGER NOT NULL                -- posts with a larger rowid wait for the index
);
-- An existing database: whatever 0025's trigger already marked stays in post_search_pending.
INSERT INTO post_search_state (id, indexed_upto) SELECT 1, COALESCE(MAX(rowid), 0) FROM posts;

-- An upsert rewrites `text` on every repeat of a post: only a real change waits for the index.
CREATE TRIGGER posts_search_update AFTER UPDATE OF text ON posts WHEN new.text IS NOT old.text
BEGIN
    INSERT INTO post_search_pending (post_rowid) VALUES (new.rowid) ON CONFLICT DO NOTHING;
END;

-- A deleted post leaves the index. SQLite gives the next new post the largest rowid + 1, so
-- when the largest posts are deleted the watermark steps back to the largest one left: a new
-- post always lands above it.
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts
BEGIN
    DELETE FROM post_search WHERE rowid = old.rowid;
    DELETE FROM post_search_keys WHERE id = old.rowid;
    DELETE FROM post_search_pending WHERE post_rowid = old.rowid;
    UPDATE post_search_state SET indexed_upto = (SELECT COALESCE(MAX(rowid), 0) FROM posts)
        WHERE indexed_upto > (SELECT COALESCE(MAX(rowid), 0) FROM posts);
END;
