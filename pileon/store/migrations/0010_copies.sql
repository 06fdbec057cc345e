-- 0010: one text, one fate. Each triaged post names the group of copies it belongs to (its
-- coordination cluster and its exact normalized-text twins, joined), so a decision can be
-- applied to every copy; and an opaque `ref` that the review UI puts in page addresses
-- instead of a post id or URL (which may hold the writer's handle).
ALTER TABLE post_folders ADD COLUMN copies TEXT;               -- copy group id, NULL = no copies
ALTER TABLE post_folders ADD COLUMN copies_size INTEGER NOT NULL DEFAULT 1;
ALTER TABLE post_folders ADD COLUMN ref TEXT;                  -- sha256(platform NUL id)[:20]
CREATE INDEX post_folders_copies ON post_folders(run_id, copies);
CREATE INDEX post_folders_ref ON post_folders(run_id, ref);
