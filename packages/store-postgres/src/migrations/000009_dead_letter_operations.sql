-- 000009_dead_letter_operations: operators replay and resolve dead-letter entries
-- (docs/decisions/0015-dead-letter-and-bulk-replay.md).
--
-- A replayed entry names the job its replay made (replayed_job_id; NULL for entries replayed before this
-- migration) and who replayed it when; a resolved entry keeps the operator's note, who resolved it and
-- when. The note follows the operator-text policy of packages/core/src/dead-letter.ts (1 to 1,024
-- characters). The source of an entry is its job's (joined, not copied). The indexes serve the listing by
-- status and the grouped statistics of open entries.
ALTER TABLE orch.dead_letters
  ADD COLUMN replayed_job_id uuid,
  ADD COLUMN replayed_by text,
  ADD COLUMN replayed_at timestamptz,
  ADD COLUMN resolution_note text,
  ADD COLUMN resolved_by text,
  ADD COLUMN resolved_at timestamptz,
  ADD CONSTRAINT dead_letters_resolution_note_check CHECK (
    resolution_note IS NULL OR char_length(resolution_note) BETWEEN 1 AND 1024
  ),
  ADD CONSTRAINT dead_letters_resolved_check CHECK (
    status <> 'resolved' OR (resolution_note IS NOT NULL AND resolved_by IS NOT NULL AND resolved_at IS NOT NULL)
  );
CREATE INDEX dead_letters_by_status ON orch.dead_letters (tenant_id, status, seq DESC);
CREATE INDEX dead_letters_open_groups ON orch.dead_letters (tenant_id, job_type, error_type, created_at)
  WHERE status = 'open';
