-- A post's page lists the replies below it: without this index that is a scan of every post
-- (320 ms on the 100k-reply demo thread, for every view of every post).
CREATE INDEX IF NOT EXISTS posts_reply_to ON posts (platform, reply_to, created_at);
