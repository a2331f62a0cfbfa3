import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { migrate, MIGRATIONS, PgliteDriver, type Migration } from '@stella-orch/store-postgres';

/** Where an image is cached and what it is made of; the defaults are what tests use. */
export interface PgliteImageCacheOptions {
  /** The cache directory (default `os.tmpdir()`). */
  readonly dir?: string;
  /** The migrations the image is migrated with (default: the embedded ones). */
  readonly migrations?: readonly Migration[];
}

/** An image from the cache. */
export interface CachedPgliteImage {
  readonly image: Blob;
  /** The cache file, named after the image's key. */
  readonly file: string;
  /** Whether this call built the image (the file was missing, unreadable or corrupt). */
  readonly built: boolean;
}

const DIGEST_BYTES = 32;

/** The version of the PGlite package the ledger runs on: an image is only good for the PGlite that made it. */
function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === '@electric-sql/pglite' && manifest.version !== undefined) return manifest.version;
    } catch {
      // No manifest here: look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the version of @electric-sql/pglite');
    dir = parent;
  }
}

/** The cache key: a hash of the migrations (versions, names and SQL) and of the PGlite version. */
export function pgliteImageKey(migrations: readonly Migration[] = MIGRATIONS): string {
  return createHash('sha256')
    .update(JSON.stringify({ pglite: pgliteVersion(), migrations }))
    .digest('hex')
    .slice(0, 32);
}

/** The cached image when the file is whole (the tarball followed by its SHA-256), else `undefined`. */
async function readCached(file: string): Promise<Blob | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= DIGEST_BYTES) return undefined;
  const tar = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const digest = createHash('sha256').update(tar).digest();
  if (!digest.equals(bytes.subarray(bytes.length - DIGEST_BYTES))) return undefined;
  return new Blob([tar]);
}

/** A fresh in-memory ledger, migrated and nothing else, as an image. */
async function buildImage(migrations: readonly Migration[]): Promise<Blob> {
  const driver = await PgliteDriver.open();
  try {
    await migrate(driver, migrations);
    return await driver.dumpImage();
  } finally {
    await driver.close();
  }
}

/**
 * The image of a freshly migrated, empty PGlite ledger, from the cache file for its key when that file is
 * whole; otherwise built and written to it atomically (a temporary file renamed into place), so processes
 * racing to build it each leave a whole file and readers never see half of one.
 */
export async function cachedPgliteImage(options: PgliteImageCacheOptions = {}): Promise<CachedPgliteImage> {
  const migrations = options.migrations ?? MIGRATIONS;
  const file = join(options.dir ?? tmpdir(), `stella-orch-pglite-image-${pgliteImageKey(migrations)}.tar`);
  const cached = await readCached(file);
  if (cached !== undefined) return { image: cached, file, built: false };
  const image = await buildImage(migrations);
  const tar = Buffer.from(await image.arrayBuffer());
  const temporary = `${file}.${process.pid}-${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, Buffer.concat([tar, createHash('sha256').update(tar).digest()]));
    await rename(temporary, file);
  } catch {
    // A cache that cannot be written only costs the next process a build.
    await rm(temporary, { force: true });
  }
  return { image, file, built: true };
}

let memoised: Promise<Blob> | undefined;

/**
 * The image of a freshly migrated, empty ledger (every embedded migration, no rows), for tests that open a
 * throwaway in-memory ledger: `openLedger({ pgliteImage: await migratedPgliteImage() })` takes about a second
 * where initdb and the migrations take several. Made once per machine (cached in `os.tmpdir()` under a key of
 * the migrations and the PGlite version, so a new migration or PGlite makes a new one) and once per process.
 */
export function migratedPgliteImage(): Promise<Blob> {
  memoised ??= cachedPgliteImage().then(
    (cached) => cached.image,
    (error: unknown) => {
      memoised = undefined;
      throw error;
    },
  );
  return memoised;
}
