-- The journal is append-only, enforced by the database rather than by convention.
-- Entries may only be removed by compaction, inside its transaction, and only once a signed
-- checkpoint covering them exists and the office has acknowledged them.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
  SELECT RAISE(ABORT, 'journal is append-only: entries cannot be changed');
END;
--> statement-breakpoint
CREATE TRIGGER journal_delete_only_compacted BEFORE DELETE ON journal
WHEN coalesce((SELECT compacting FROM device WHERE singleton = 1), 0) = 0
  OR OLD.seq > coalesce((SELECT max(to_seq) FROM checkpoints), 0)
  OR NOT EXISTS (SELECT 1 FROM outbox WHERE seq = OLD.seq AND state = 'acknowledged')
BEGIN
  SELECT RAISE(ABORT, 'journal is append-only: only acknowledged entries covered by a checkpoint can be compacted');
END;
--> statement-breakpoint
CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
  SELECT RAISE(ABORT, 'checkpoints cannot be changed');
END;
--> statement-breakpoint
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
  SELECT RAISE(ABORT, 'checkpoints cannot be deleted');
END;
