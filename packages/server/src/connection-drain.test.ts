import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionDrain } from './connection-drain.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function serve(handler: Parameters<typeof createServer>[1], graceMs?: number) {
  const server = createServer(handler);
  servers.push(server);
  const drain = new ConnectionDrain(server, graceMs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    drain.during(
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
    );
  return { port, drain, close };
}

const elapsed = async (work: Promise<unknown>): Promise<number> => {
  const start = Date.now();
  await work;
  return Date.now() - start;
};

describe('ConnectionDrain', () => {
  it('cuts a connection that never sent a request, which plain server.close() waits on for a minute', async () => {
    const { port, drain, close } = await serve((_req, res) => res.end('ok'));
    const idle = connect(port, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drain.unused).toBe(1);
    expect(await elapsed(close())).toBeLessThan(2_000);
    // The client sees its connection closed.
    if (!idle.closed) await new Promise((resolve) => idle.once('close', resolve));
    expect(idle.closed).toBe(true);
  });

  it('lets a request in flight finish, and cuts one still running after the grace period', async () => {
    const { port, close } = await serve((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('done'), 300);
      // /stuck never answers
    }, 1_000);
    const answer = (path: string) =>
      new Promise<string>((resolve, reject) => {
        request({ port, host: '127.0.0.1', path }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => {
            resolve(body);
          });
        })
          .on('error', reject)
          .end();
      });
    const slow = answer('/slow');
    const stuck = answer('/stuck').catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const took = await elapsed(close());
    expect(await slow).toBe('done');
    expect(await stuck).toBeInstanceOf(Error);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3_000);
  });
});
