import { startServer } from './server-process.mjs';
import { BENCH_CLIENT } from './util.mjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
const server = await startServer({ engine: { dataDir: mkdtempSync('/tmp/sample-') } });
const tok = async (scope) => (await (await fetch(`${server.url}/connect/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: BENCH_CLIENT.clientId, client_secret: BENCH_CLIENT.clientSecret, scope, tenant: 't1' }) })).json()).access_token;
writeFileSync('/tmp/serve.env', `URL=${server.url}\nRT=${await tok('orch:read')}\nST=${await tok('orch:submit')}\n`);
setTimeout(() => server.stop(), 60_000);
