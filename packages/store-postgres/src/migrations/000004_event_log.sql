-- 000004_event_log: the outbox becomes the durable event log of orch.event.v1 envelopes
-- (docs/decisions/0009-event-log-and-streams.md).
--
-- event_id is an identity, handed out when a row is inserted, but transactions commit in any order: a
-- reader that asked for "ids after the last one I saw" could pass over an event that commits later with a
-- lower id. Each row therefore keeps the id of the transaction that wrote it (tx_id), and readers take only
-- events of transactions older than every transaction still in progress
-- (tx_id < pg_snapshot_xmin(pg_current_snapshot())), in (tx_id, event_id) order. Everything below that
-- horizon has ended, so no event can appear there later: that pair is a gap-free resume position. Writers
-- take no lock for it.

-- Rows written before this migration get its transaction id: one block, in event_id order.
ALTER TABLE orch.events
  ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- The subject that caused the event (a worker id, a token's subject, system:lease-reaper) and, when the
  -- writer knew them, the scopes of its token.
  ADD COLUMN actor text,
  ADD COLUMN actor_scopes text[],
  -- The writer's correlation id when it is not the job's (operator actions); NULL: the job's.
  ADD COLUMN correlation_id text;

-- The actor was kept in data until now.
UPDATE orch.events
SET actor = coalesce(data ->> 'actor', data ->> 'workerId'),
    data = CASE WHEN data ? 'actor' THEN nullif(data - 'actor', '{}'::jsonb) ELSE data END;

-- The log order is the key: readers walk it, retention prunes it from its start. event_id stays unique
-- (an identity), so the key is unique too.
ALTER TABLE orch.events DROP CONSTRAINT events_pkey;
ALTER TABLE orch.events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, tx_id, event_id);
