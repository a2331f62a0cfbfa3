import {
  checkAuditRetentionPolicy,
  DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES,
  validationError,
  type AuditArchiveManifest,
  type AuditSequenceRange,
  type AuditService,
  type FieldError,
  type Logger,
} from '@stella-orch/core';
import { join } from 'node:path';
import { fileDigest, writeFileDurably } from './archive-files.js';
import { PeriodicTask } from './periodic-task.js';

/** Where archives go, how old entries get before they go, and how often retention runs. */
export interface AuditRetentionOptions {
  /** Archives are written to `<archiveDir>/<tenant>/<first>-<through>.ndjson` and `.manifest.json`. */
  readonly archiveDir: string;
  /** The maximum age of a tenant's entries, in days, unless `tenantMaxAgeDays` names the tenant. */
  readonly defaultMaxAgeDays: number;
  /** Per-tenant maximum ages, in days. */
  readonly tenantMaxAgeDays: Readonly<Record<string, number>>;
  /** Between two sweeps. */
  readonly intervalMs: number;
  /** Entries in one archive file at most (default 10 000); a sweep writes as many files as it needs. */
  readonly maxEntriesPerArchive?: number;
}

/** What the retention task works with. */
export interface AuditRetentionDeps {
  readonly audit: AuditService;
  /** Every tenant that has a chain (a head row), in any order. */
  readonly listAuditTenants: () => Promise<string[]>;
  readonly logger: Logger;
}

/** An archive written, checked and recorded. */
export interface WrittenAuditArchive {
  readonly manifest: AuditArchiveManifest;
  readonly ndjsonPath: string;
  readonly manifestPath: string;
  /** Entries removed from the ledger. */
  readonly removed: number;
}

// A tenant id as the request context accepts it: no separator, no leading dot, so a safe directory name.
const TENANT_DIRECTORY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The field errors of retention options: whole days from 1 to 36 500, a positive interval and file size.
 */
export function checkAuditRetentionOptions(options: AuditRetentionOptions): FieldError[] {
  const errors = [
    ...checkAuditRetentionPolicy({ maxAgeDays: options.defaultMaxAgeDays }, 'defaultMaxAgeDays'),
    ...Object.entries(options.tenantMaxAgeDays).flatMap(([tenantId, maxAgeDays]) =>
      checkAuditRetentionPolicy({ maxAgeDays }, `tenantMaxAgeDays.${tenantId}`),
    ),
  ];
  if (!Number.isInteger(options.intervalMs) || options.intervalMs < 1) {
    errors.push({ path: 'intervalMs', message: 'must be a positive integer' });
  }
  const maxEntries = options.maxEntriesPerArchive ?? DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    errors.push({ path: 'maxEntriesPerArchive', message: 'must be a positive integer' });
  }
  if (options.archiveDir === '') errors.push({ path: 'archiveDir', message: 'must not be empty' });
  return errors;
}

/**
 * Periodically archives, per tenant, the entries older than its maximum age (never the latest entry), in
 * this order, so that no entry leaves the ledger before a checked copy is on disk:
 *
 * 1. export the range to `<first>-<through>.ndjson` (temporary name, fsync, rename);
 * 2. sign its manifest, from a second read of the ledger, and write `<first>-<through>.manifest.json` the
 *    same way;
 * 3. read the file back and compare its digest with the manifest's;
 * 4. record the archive, which removes the entries in the same transaction.
 *
 * A crash or a failure before step 4 leaves files and removes nothing; the next run starts from the same
 * first sequence and writes its files again (the same name when the range is the same). Run it in one
 * replica: two would both write, one record would win and the other be refused, and the loser's manifest
 * file could replace the winner's (same entries, another `archiveId`).
 */
export class AuditRetention {
  readonly #deps: AuditRetentionDeps;
  readonly #options: AuditRetentionOptions;
  readonly #maxEntries: number;
  readonly #task: PeriodicTask;
  #stopping = false;

  /**
   * @param deps - the audit service, the tenant lister and a logger
   * @param options - archive directory, maximum ages, interval
   * @throws OrchestratorError `VALIDATION_FAILED` for options out of range
   */
  constructor(deps: AuditRetentionDeps, options: AuditRetentionOptions) {
    const errors = checkAuditRetentionOptions(options);
    if (errors.length > 0) throw validationError(errors);
    this.#deps = deps;
    this.#options = options;
    this.#maxEntries = options.maxEntriesPerArchive ?? DEFAULT_AUDIT_ARCHIVE_MAX_ENTRIES;
    this.#task = new PeriodicTask(() => this.sweep(), options.intervalMs);
  }

  /** Starts sweeping. */
  start(): void {
    this.#stopping = false;
    this.#task.start();
  }

  /**
   * One sweep over every tenant; a tenant that fails is logged and the others go on. Never throws.
   * @returns how many entries were archived and removed
   */
  async sweep(): Promise<number> {
    const { logger } = this.#deps;
    let tenants: string[];
    try {
      tenants = await this.#deps.listAuditTenants();
    } catch (error) {
      logger.error({ err: error }, 'audit retention could not list tenants');
      return 0;
    }
    let total = 0;
    for (const tenantId of tenants) {
      if (this.#stopping) break;
      try {
        total += await this.archiveTenant(tenantId);
      } catch (error) {
        logger.error({ err: error, tenantId }, 'audit retention failed; nothing of this range was removed');
      }
    }
    return total;
  }

  /**
   * Archives everything of one tenant that is old enough, a file of at most `maxEntriesPerArchive` entries
   * at a time.
   * @returns how many entries were removed
   */
  async archiveTenant(tenantId: string): Promise<number> {
    const policy = {
      maxAgeDays: this.#options.tenantMaxAgeDays[tenantId] ?? this.#options.defaultMaxAgeDays,
    };
    let removed = 0;
    while (!this.#stopping) {
      const range = await this.#deps.audit.planRetention(tenantId, policy, this.#maxEntries);
      if (range === null) break;
      removed += (await this.archiveRange(tenantId, range)).removed;
    }
    return removed;
  }

  /**
   * Writes, checks and records the archive of one range (steps 1–4 above).
   * @throws Error when the file read back does not match the manifest (nothing is removed); the store's
   *   `VALIDATION_FAILED` when the range no longer follows the latest archive (another replica was first)
   */
  async archiveRange(tenantId: string, range: AuditSequenceRange): Promise<WrittenAuditArchive> {
    if (!TENANT_DIRECTORY.test(tenantId))
      throw new Error(`tenant id ${tenantId} is not a safe directory name`);
    const { audit, logger } = this.#deps;
    const scope = { tenantId };
    const base = join(this.#options.archiveDir, tenantId, `${range.fromSequence}-${range.throughSequence}`);
    const ndjsonPath = `${base}.ndjson`;
    const manifestPath = `${base}.manifest.json`;
    await writeFileDurably(ndjsonPath, (await audit.exportRange(scope, range)).lines);
    const manifest = await audit.exportManifest(scope, range);
    await writeFileDurably(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const digest = await fileDigest(ndjsonPath);
    if (digest !== manifest.ndjsonDigest) {
      throw new Error(`${ndjsonPath} holds ${digest}, its manifest says ${manifest.ndjsonDigest}`);
    }
    const removed = await audit.recordArchive(tenantId, manifest);
    logger.info(
      {
        tenantId,
        archiveId: manifest.archiveId,
        firstSequence: manifest.firstSequence,
        throughSequence: manifest.throughSequence,
        removed,
        path: ndjsonPath,
      },
      'audit entries archived',
    );
    return { manifest, ndjsonPath, manifestPath, removed };
  }

  /** Stops sweeping (after the range in progress) and waits for the sweep in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#task.stop();
  }
}
