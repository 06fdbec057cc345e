-- 0011: how each triaged post reached the author (reply, quote or mention), as triage saw it.
-- X and Bluesky store a mention as the root of its own thread (posts.kind = 'root'); triage
-- knows it names the author, and exports, the block list and the report show it as a mention.
-- NULL in runs written before this migration: readers fall back to explain_json's "kind".
ALTER TABLE post_folders ADD COLUMN kind TEXT;
