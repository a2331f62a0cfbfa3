-- 000002_audit: the tamper-evident operator audit trail (docs/decisions/0006-audit-hash-chain.md).
-- One hash chain per tenant: entry n carries the hash of entry n-1 (prev_hash) and its own hash, both
-- computed by the application over the canonical JSON of the entry. The database keeps the chain linear
-- (orch.audit_heads, locked FOR UPDATE by every append) and append-only (the triggers below).

CREATE TABLE orch.audit_entries (
  tenant_id text NOT NULL,
  -- 1, 2, 3 … per tenant, without gaps: the next number is taken from the locked head row.
  sequence bigint NOT NULL,
  audit_id uuid NOT NULL,
  -- Milliseconds, as hashed: the application reads the clock, truncates, hashes and stores the same value.
  occurred_at timestamptz NOT NULL,
  -- {subject, clientId, scopes}
  actor jsonb NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  before jsonb,
  after jsonb,
  -- The credentials' reason and ticket (token claims), and the request's own (X-Stella-Operator-*).
  reason text,
  ticket text,
  request_reason text,
  request_ticket text,
  correlation_id text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  CONSTRAINT audit_entries_pkey PRIMARY KEY (tenant_id, sequence),
  CONSTRAINT audit_entries_audit_id UNIQUE (tenant_id, audit_id),
  CONSTRAINT audit_entries_sequence_check CHECK (sequence >= 1),
  CONSTRAINT audit_entries_hash_check CHECK (
    hash ~ '^sha256:[0-9a-f]{64}$' AND prev_hash ~ '^sha256:[0-9a-f]{64}$'
  )
);

-- The filters of the audit listing, each ending in the listing's order (newest first).
CREATE INDEX audit_entries_actor ON orch.audit_entries (tenant_id, (actor ->> 'subject'), sequence DESC);
CREATE INDEX audit_entries_client ON orch.audit_entries (tenant_id, (actor ->> 'clientId'), sequence DESC);
CREATE INDEX audit_entries_action ON orch.audit_entries (tenant_id, action, sequence DESC);
CREATE INDEX audit_entries_resource ON orch.audit_entries (tenant_id, resource_type, resource_id, sequence DESC);
CREATE INDEX audit_entries_ticket ON orch.audit_entries (tenant_id, ticket, sequence DESC)
  WHERE ticket IS NOT NULL;
CREATE INDEX audit_entries_request_ticket ON orch.audit_entries (tenant_id, request_ticket, sequence DESC)
  WHERE request_ticket IS NOT NULL;
CREATE INDEX audit_entries_occurred ON orch.audit_entries (tenant_id, occurred_at);

-- Where each tenant's chain ends. Appending locks this row (FOR UPDATE) for the rest of the transaction, so
-- two operator actions of one tenant can never take the same sequence or chain to the same entry.
CREATE TABLE orch.audit_heads (
  tenant_id text NOT NULL,
  last_sequence bigint NOT NULL,
  last_hash text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_heads_pkey PRIMARY KEY (tenant_id),
  CONSTRAINT audit_heads_sequence_check CHECK (last_sequence >= 0),
  CONSTRAINT audit_heads_hash_check CHECK (last_hash ~ '^sha256:[0-9a-f]{64}$')
);

-- Append-only, whatever the application does: UPDATE, DELETE and TRUNCATE of entries are refused (as
-- statements, so even one that matches no row fails), as is removing a head. Disabling these triggers
-- takes the table owner or a superuser; what they change then, verification finds.
CREATE FUNCTION orch.refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'orch.% is append-only: % is refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'The audit trail is tamper-evident; see docs/decisions/0006-audit-hash-chain.md.';
END;
$$;

-- A head only moves forward, one entry at a time, and never to another tenant.
CREATE FUNCTION orch.check_audit_head_advance() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tenant_id <> OLD.tenant_id OR NEW.last_sequence <> OLD.last_sequence + 1 THEN
    RAISE EXCEPTION 'orch.audit_heads of tenant % may only advance by one entry (from % to %)',
      OLD.tenant_id, OLD.last_sequence, NEW.last_sequence
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER audit_entries_append_only
  BEFORE UPDATE OR DELETE ON orch.audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_entries_no_truncate
  BEFORE TRUNCATE ON orch.audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_heads_keep
  BEFORE DELETE OR TRUNCATE ON orch.audit_heads
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_heads_advance
  BEFORE UPDATE ON orch.audit_heads
  FOR EACH ROW EXECUTE FUNCTION orch.check_audit_head_advance();
