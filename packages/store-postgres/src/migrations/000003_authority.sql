-- 000003_authority: what the built-in Authority keeps in the ledger (the client registry and the signing
-- keys), the signed checkpoints and archives of the audit trail, and retention: an audit entry may now be
-- deleted, but only once an archive covers it. These tables belong to no tenant (clients, keys) or are
-- keyed by tenant like the rest of the audit trail (checkpoints, archives).

-- Clients managed at run time (those of the configuration file are not here). Every change appends its
-- audit entry to the chain of the authority tenant in the same transaction.
CREATE TABLE orch.clients (
  client_id text NOT NULL,
  display_name text NOT NULL,
  -- A self-describing hash of the secret (scrypt$…), never the secret; never written to the audit trail.
  secret_hash text NOT NULL,
  allowed_scopes text[] NOT NULL,
  -- Tenant ids, or '*' for every tenant.
  allowed_tenants text[] NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- NULL until the first rotation.
  secret_rotated_at timestamptz,
  CONSTRAINT clients_pkey PRIMARY KEY (client_id),
  CONSTRAINT clients_client_id_check CHECK (client_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
  CONSTRAINT clients_display_name_check CHECK (char_length(display_name) BETWEEN 1 AND 256),
  CONSTRAINT clients_secret_hash_check CHECK (char_length(secret_hash) BETWEEN 1 AND 1024),
  -- The scopes of core/src/scopes.ts: a scope added there needs this list extended by a migration.
  CONSTRAINT clients_scopes_check CHECK (
    allowed_scopes <@ ARRAY['orch:read', 'orch:submit', 'orch:worker', 'orch:operate', 'orch:quota',
      'orch:backfill', 'orch:admin']::text[]
  ),
  CONSTRAINT clients_tenants_check CHECK (array_position(allowed_tenants, NULL) IS NULL),
  CONSTRAINT clients_times_check CHECK (
    updated_at >= created_at AND (secret_rotated_at IS NULL OR secret_rotated_at >= created_at)
  )
);

-- The key pairs the orchestrator generated: JWT signing (ES256) and audit checkpoints (Ed25519).
CREATE TABLE orch.signing_keys (
  key_id text NOT NULL,
  purpose text NOT NULL,
  algorithm text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_jwk jsonb NOT NULL,
  -- active signs; previous (the one rotated out last) still verifies; retired is kept for the record.
  state text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT signing_keys_pkey PRIMARY KEY (key_id),
  CONSTRAINT signing_keys_key_id_check CHECK (char_length(key_id) BETWEEN 1 AND 128),
  CONSTRAINT signing_keys_purpose_check CHECK (purpose IN ('token', 'audit-checkpoint')),
  CONSTRAINT signing_keys_algorithm_check CHECK (char_length(algorithm) BETWEEN 1 AND 32),
  CONSTRAINT signing_keys_jwk_check CHECK (
    jsonb_typeof(public_jwk) = 'object' AND jsonb_typeof(private_jwk) = 'object'
  ),
  CONSTRAINT signing_keys_state_check CHECK (state IN ('active', 'previous', 'retired'))
);

-- At most one active and at most one previous key per purpose. The first key of a purpose is inserted
-- ON CONFLICT against this index, so replicas starting together end with one key; a rotation retires the
-- previous key, demotes the active one, then inserts its candidate, in that order.
CREATE UNIQUE INDEX signing_keys_published ON orch.signing_keys (purpose, state)
  WHERE state <> 'retired';

-- Signed statements "tenant T's chain had sequence N with hash H" (docs/decisions/0006-audit-hash-chain.md):
-- removing entries from the tail of a chain, head row and all, shows against the latest checkpoint.
CREATE TABLE orch.audit_checkpoints (
  tenant_id text NOT NULL,
  sequence bigint NOT NULL,
  head_hash text NOT NULL,
  -- Milliseconds, as signed.
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  -- base64url Ed25519 signature.
  signature text NOT NULL,
  CONSTRAINT audit_checkpoints_pkey PRIMARY KEY (tenant_id, sequence),
  CONSTRAINT audit_checkpoints_sequence_check CHECK (sequence >= 0),
  CONSTRAINT audit_checkpoints_hash_check CHECK (head_hash ~ '^sha256:[0-9a-f]{64}$'),
  CONSTRAINT audit_checkpoints_signature_check CHECK (
    char_length(key_id) BETWEEN 1 AND 128 AND signature ~ '^[A-Za-z0-9_-]+$'
  )
);

-- The signed manifests of archived runs of a tenant's chain, first_sequence..through_sequence, one after
-- another from sequence 1. The entries an archive covers are deleted from orch.audit_entries in the
-- transaction that records it; verification goes on from through_sequence + 1 with last_hash as the
-- expected prev_hash.
CREATE TABLE orch.audit_archives (
  tenant_id text NOT NULL,
  archive_id uuid NOT NULL,
  first_sequence bigint NOT NULL,
  through_sequence bigint NOT NULL,
  first_prev_hash text NOT NULL,
  last_hash text NOT NULL,
  entry_count bigint NOT NULL,
  -- sha256: of the NDJSON file's bytes.
  ndjson_digest text NOT NULL,
  created_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature text NOT NULL,
  CONSTRAINT audit_archives_pkey PRIMARY KEY (tenant_id, through_sequence),
  CONSTRAINT audit_archives_archive_id UNIQUE (tenant_id, archive_id),
  CONSTRAINT audit_archives_range_check CHECK (
    first_sequence >= 1 AND through_sequence >= first_sequence
    AND entry_count = through_sequence - first_sequence + 1
  ),
  CONSTRAINT audit_archives_hash_check CHECK (
    first_prev_hash ~ '^sha256:[0-9a-f]{64}$' AND last_hash ~ '^sha256:[0-9a-f]{64}$'
    AND ndjson_digest ~ '^sha256:[0-9a-f]{64}$'
  ),
  CONSTRAINT audit_archives_signature_check CHECK (
    char_length(key_id) BETWEEN 1 AND 128 AND signature ~ '^[A-Za-z0-9_-]+$'
  )
);

-- Checkpoints and archives are append-only like the entries: UPDATE, DELETE and TRUNCATE are refused (as
-- statements, so even one that matches no row fails).
CREATE TRIGGER audit_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON orch.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_checkpoints_no_truncate
  BEFORE TRUNCATE ON orch.audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_archives_append_only
  BEFORE UPDATE OR DELETE ON orch.audit_archives
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_archives_no_truncate
  BEFORE TRUNCATE ON orch.audit_archives
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();

-- Retention. Until now any DELETE of entries was refused as a statement. Retention must remove old
-- entries, but only ones that are kept elsewhere: an archive whose signed manifest names the range, its
-- first prev_hash and last hash, so that the chain left in the ledger still verifies from the archive on.
-- DELETE is therefore checked row by row: an entry goes only when an archive of its tenant covers its
-- sequence (archives follow one another from sequence 1, so this is "through_sequence >= sequence"; the
-- range is checked whole all the same). A DELETE that matches no row now succeeds, deleting nothing.
-- UPDATE and TRUNCATE stay refused as statements, and the head rules of 000002 are unchanged: the head
-- keeps the last sequence and hash after a prune, and appends go on from it.
CREATE FUNCTION orch.refuse_unarchived_audit_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1
    FROM orch.audit_archives a
    WHERE a.tenant_id = OLD.tenant_id
      AND a.through_sequence >= OLD.sequence
      AND a.first_sequence <= OLD.sequence
  ) THEN
    RAISE EXCEPTION 'orch.audit_entries is append-only: DELETE is refused for entry % of tenant %, which no archive covers',
      OLD.sequence, OLD.tenant_id
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Entries are removed only by recording their archive; see docs/decisions/0006-audit-hash-chain.md.';
  END IF;
  RETURN OLD;
END;
$$;

DROP TRIGGER audit_entries_append_only ON orch.audit_entries;
CREATE TRIGGER audit_entries_no_update
  BEFORE UPDATE ON orch.audit_entries
  FOR EACH STATEMENT EXECUTE FUNCTION orch.refuse_audit_change();
CREATE TRIGGER audit_entries_delete_archived_only
  BEFORE DELETE ON orch.audit_entries
  FOR EACH ROW EXECUTE FUNCTION orch.refuse_unarchived_audit_delete();
