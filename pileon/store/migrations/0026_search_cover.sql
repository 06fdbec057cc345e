-- 0026: a search page joins each FTS5 match to its folder and time through the post key; this
-- index answers that join by itself (no wide post_folders row read per match), which made a
-- search over ~7,700 matches in the 100k-reply thread about twice as fast.
CREATE INDEX IF NOT EXISTS post_folders_search ON post_folders(run_id, platform, post_id, folder,
                                                               created_at);
