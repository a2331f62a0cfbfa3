import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Writes a file so that it is either absent or whole under its name, even across a crash: the text goes
 * to a temporary name beside it, is flushed to disk (`fsync`), renamed over the final name, and the
 * directory is flushed too so the rename itself survives. An existing file of that name is replaced.
 * On failure the temporary file is removed.
 *
 * @param chunks - the text (UTF-8), whole or a piece at a time
 */
export async function writeFileDurably(path: string, chunks: string | AsyncIterable<string>): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    // `flush`: fsync before the file is closed.
    await pipeline(
      Readable.from(typeof chunks === 'string' ? [chunks] : chunks),
      createWriteStream(temporary, { flags: 'wx', flush: true }),
    );
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `sha256:<hex>` of a file's bytes, read as a stream. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
