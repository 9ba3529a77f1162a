-- Checkpoints were never deleted, so one accumulated per compaction for the device's whole life.
-- Compaction may now remove checkpoints that newer ones supersede (the office holds the entries
-- they covered and has anchored the chain past them); nothing else may, and never the newest,
-- which the journal's delete trigger and the chain tip rely on.
DROP TRIGGER checkpoints_no_delete;
--> statement-breakpoint
CREATE TRIGGER checkpoints_delete_only_superseded BEFORE DELETE ON checkpoints
WHEN coalesce((SELECT compacting FROM device WHERE singleton = 1), 0) = 0
  OR OLD.to_seq >= (SELECT max(to_seq) FROM checkpoints)
BEGIN
  SELECT RAISE(ABORT, 'checkpoints cannot be deleted, but by compaction once newer ones supersede them');
END;
