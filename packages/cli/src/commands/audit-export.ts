import { createHash } from 'node:crypto';
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AuditArchiveManifest, OrchestratorClient } from '@stella-orch/client';
import type { Command } from 'commander';
import type { CliIo } from '../cli-io.js';
import { commandContext, withAccess } from '../command-context.js';
import type { CommandAccess } from '../credentials.js';
import { IntegrityError, UsageError } from '../exit-codes.js';
import { integerIn } from '../option-parsers.js';
import { renderFields } from '../output.js';

const EXPORT: CommandAccess = { action: 'audit export', scopes: ['orch:read'] };
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface ExportOptions {
  out: string;
  from?: number;
  through?: number;
}

/** What `audit export` wrote. */
export interface AuditExportResult {
  readonly ndjsonFile: string;
  readonly manifestFile: string;
  readonly manifest: AuditArchiveManifest;
  /** Always `true` when reported: the NDJSON's sha256 and line count matched the manifest. */
  readonly digestVerified: true;
}

/** Registers `audit export`. */
export function registerAuditExport(audit: Command, io: CliIo): void {
  withAccess(audit.command('export'), EXPORT)
    .description(
      'export audit entries as NDJSON with their signed manifest, into <tenant>-<first>-<through>.ndjson ' +
        'and .manifest.json; the NDJSON is checked against the manifest before anything is written',
    )
    .requiredOption('--out <dir>', 'directory to write to (created if missing; existing files are kept)')
    .option(
      '--from <n>',
      'first sequence (default 1; after an archive, the first one the ledger still holds)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--through <n>',
      'last sequence (default: the newest entry)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .addHelpText(
      'after',
      "\nThe manifest's Ed25519 signature is not checked here; check it against the server's published key.",
    )
    .action(async (options: ExportOptions, command: Command) => {
      if (options.from !== undefined && options.through !== undefined && options.from > options.through) {
        throw new UsageError(`--from ${options.from} is after --through ${options.through}`);
      }
      const { client, out } = commandContext(command, io, EXPORT);
      const range = {
        fromSequence: options.from ?? 1,
        throughSequence: options.through ?? (await headSequence(client)),
      };
      if (range.fromSequence > range.throughSequence) {
        throw new UsageError(`--from ${range.fromSequence} is after the head (${range.throughSequence})`);
      }
      const manifest = await client.getAuditExportManifest(range);
      // Exactly the manifest's range, whatever the server made of the request.
      const ndjson = Buffer.from(
        await client.exportAudit({
          fromSequence: manifest.firstSequence,
          throughSequence: manifest.throughSequence,
        }),
        'utf8',
      );
      checkAgainstManifest(ndjson, manifest);
      const result = await writeExport(resolve(io.cwd, options.out), ndjson, manifest);
      out.result(result, renderExport);
    });
}

/** The sequence of the newest entry (the list is newest first). @throws UsageError for an empty trail */
async function headSequence(client: OrchestratorClient): Promise<number> {
  const page = await client.listAuditEntries({ pageSize: 1 });
  const head = page.items[0]?.sequence;
  if (head === undefined) throw new UsageError('the audit trail has no entries: there is nothing to export');
  return head;
}

/** @throws IntegrityError when the NDJSON's digest or line count is not the manifest's */
function checkAgainstManifest(ndjson: Buffer, manifest: AuditArchiveManifest): void {
  const digest = `sha256:${createHash('sha256').update(ndjson).digest('hex')}`;
  if (digest !== manifest.ndjsonDigest) {
    throw new IntegrityError(
      'EXPORT_MISMATCH',
      `the export does not match its manifest: its digest is ${digest}, the manifest says ` +
        `${manifest.ndjsonDigest}; nothing was written`,
    );
  }
  const lines = ndjson
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '').length;
  if (lines !== manifest.entryCount) {
    throw new IntegrityError(
      'EXPORT_MISMATCH',
      `the export holds ${lines} entries, the manifest says ${manifest.entryCount}; nothing was written`,
    );
  }
}

async function writeExport(
  dir: string,
  ndjson: Buffer,
  manifest: AuditArchiveManifest,
): Promise<AuditExportResult> {
  if (!TENANT_PATTERN.test(manifest.tenantId)) {
    throw new IntegrityError(
      'EXPORT_MISMATCH',
      `the manifest names an invalid tenant "${manifest.tenantId}"`,
    );
  }
  const base = `${manifest.tenantId}-${manifest.firstSequence}-${manifest.throughSequence}`;
  const ndjsonFile = join(dir, `${base}.ndjson`);
  const manifestFile = join(dir, `${base}.manifest.json`);
  await mkdir(dir, { recursive: true });
  // Never overwrite an archive: neither file may exist, and `wx` fails if one appears meanwhile.
  for (const file of [ndjsonFile, manifestFile]) {
    if (await exists(file))
      throw new UsageError(`${file} exists already: export into another --out directory`);
  }
  await writeFile(ndjsonFile, ndjson, { flag: 'wx' });
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
  return { ndjsonFile, manifestFile, manifest, digestVerified: true };
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function renderExport(result: AuditExportResult): string {
  const { manifest } = result;
  return renderFields([
    ['Tenant', manifest.tenantId],
    ['Sequences', `${manifest.firstSequence} to ${manifest.throughSequence}`],
    ['Entries', String(manifest.entryCount)],
    ['NDJSON', result.ndjsonFile],
    ['Manifest', result.manifestFile],
    ['Digest', `${manifest.ndjsonDigest} (matches the manifest)`],
    ['Signed by key', manifest.keyId],
  ]);
}
