-- 0020: the chain-of-custody log names what each action read and what it wrote, by SHA-256
-- (an ingest: the source file read and the payloads stored; a report: the payloads read and the
-- manifest and digest written), and can no longer be edited or shortened.

ALTER TABLE custody_log ADD COLUMN read_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE custody_log ADD COLUMN wrote_json TEXT NOT NULL DEFAULT '[]';

CREATE TRIGGER custody_log_never_deleted BEFORE DELETE ON custody_log
BEGIN
    SELECT RAISE(ABORT, 'the chain-of-custody log is never deleted from');
END;

CREATE TRIGGER custody_log_never_changed BEFORE UPDATE ON custody_log
BEGIN
    SELECT RAISE(ABORT, 'the chain-of-custody log is never changed; add a new line');
END;
