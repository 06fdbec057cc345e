-- 0055: Bluesky proofs. For a collected Bluesky post, the CAR file com.atproto.sync.getRecord
-- answered (the author's signed commit, the tree path, the record) and the DID document that
-- named the signing key, both kept byte for byte in raw_payloads; and what pileon found when it
-- checked them at collect time (pileon/report/bluesky_proof.py checks them again offline).
CREATE TABLE bluesky_proofs (
    post_id        TEXT NOT NULL,                -- at:// URI of the post
    did            TEXT NOT NULL,
    car_sha256     TEXT NOT NULL REFERENCES raw_payloads(sha256),
    did_doc_sha256 TEXT NOT NULL REFERENCES raw_payloads(sha256),
    record_cid     TEXT,                         -- the record's CID in the proof (NULL: no check)
    problem        TEXT,                         -- NULL: the proof checked at collect time
    fetched_at     TEXT NOT NULL,
    PRIMARY KEY (post_id, car_sha256)
);
CREATE INDEX bluesky_proofs_post ON bluesky_proofs(post_id, fetched_at);
