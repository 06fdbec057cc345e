-- 0005: translations the user (or someone they trust) writes for posts in the evidence report.
-- Append-only like decisions: a newer translation of the same post and language is shown; the
-- older ones stay, so the record of who translated what, when, is never lost.

CREATE TABLE translations (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL,
    post_id     TEXT NOT NULL,
    lang        TEXT NOT NULL,                 -- the language of the translation: en, fr, az, hy, ru...
    text        TEXT NOT NULL,
    translator  TEXT,                          -- who translated it, as the user wrote it
    added_at    TEXT NOT NULL
);
CREATE INDEX translations_post ON translations(platform, post_id, lang, id);

CREATE TRIGGER translations_never_deleted BEFORE DELETE ON translations
BEGIN
    SELECT RAISE(ABORT, 'translations are never deleted; add a new one');
END;

CREATE TRIGGER translations_never_changed BEFORE UPDATE ON translations
BEGIN
    SELECT RAISE(ABORT, 'translations are never changed; add a new one');
END;
