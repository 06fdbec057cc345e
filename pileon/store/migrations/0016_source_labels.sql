-- 0016: labels the platform delivered with a post or an account (Bluesky: an author's own
-- self-labels such as `!no-unauthenticated`, and labels set by moderation services). A JSON
-- array of {"val", "by"}: "by" is "self" when the author set it, else the labeler's DID.
-- NULL: the source says nothing about labels; []: it says there are none.
ALTER TABLE posts ADD COLUMN labels_json TEXT;         -- the post's labels, as delivered
ALTER TABLE accounts ADD COLUMN labels_json TEXT;      -- the profile's labels, as delivered
