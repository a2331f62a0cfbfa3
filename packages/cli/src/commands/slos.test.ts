import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { problem } from '../../../client/test/fake-http-server.js';
import { OPERATOR_ENV, startCliHarness, type CliHarness } from '../../test/cli-harness.js';

const BASE = '/api/v1/orchestrator';
const SLO_ID = '0b6f8c52-93c4-4d3a-a5a4-35d2f1a6f0aa';
const INCIDENT_ID = '7d1f6b0e-2c1a-4f62-9d7e-1b8d3c4e5f60';

const SLO = {
  sloId: SLO_ID,
  tenantId: 't1',
  name: 'ingest success',
  description: null,
  jobType: 'ingest',
  sourceId: null,
  objective: 0.995,
  windowSeconds: 604_800,
  alertPolicy: { fastBurnThreshold: 14.4, slowBurnThreshold: 6 },
  pauseSourceOnIncident: false,
  createdAt: '2030-01-01T00:00:00.000Z',
  createdBy: 'alice',
  updatedAt: '2030-01-01T00:00:00.000Z',
  updatedBy: 'alice',
};

const INCIDENT = {
  incidentId: INCIDENT_ID,
  tenantId: 't1',
  sloId: SLO_ID,
  status: 'open',
  trigger: 'fast',
  openedAt: '2030-01-01T01:00:00.000Z',
  resolvedAt: null,
  burnRatesAtOpen: { '1h': 20, '6h': 4, '24h': 1, '30d': 0.2 },
  burnRatesAtResolve: null,
  pausedSourceId: null,
  sourcePaused: false,
};

let harness: CliHarness;
beforeEach(async () => {
  harness = await startCliHarness();
});
afterEach(async () => {
  await harness.close();
});

const run = (argv: string[]) => harness.run(argv, OPERATOR_ENV);

describe('slos', () => {
  it('create sends the definition and prints the SLO', async () => {
    harness.server.route('POST', `${BASE}/slos`, () => ({ status: 201, body: SLO }));
    const result = await run([
      'slos',
      'create',
      'ingest success',
      '--objective',
      '99.5%',
      '--job-type',
      'ingest',
      '--window',
      '7d',
      '--slow-burn',
      '3',
    ]);
    expect(result.code, result.err).toBe(0);
    const [request] = harness.apiRequests();
    expect(request?.body).toEqual({
      name: 'ingest success',
      objective: 0.995,
      jobType: 'ingest',
      windowSeconds: 604_800,
      alertPolicy: { slowBurnThreshold: 3 },
    });
    expect(result.out).toContain('ingest success');
    expect(result.out).toContain('99.5%');
  });

  it.each([
    [['--objective', '1'], 'between 0 and 1'],
    [['--objective', '0.9', '--window', '30m'], 'hours or days'],
    [['--objective', '0.9', '--fast-burn', '0'], 'above 0'],
    [[], "required option '--objective <objective>' not specified"],
  ])('exits 2 on bad flags: %j', async (flags, message) => {
    const result = await run(['slos', 'create', 'x', ...flags]);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(harness.server.requests).toHaveLength(0);
  });

  it('exits 4 on a taken name', async () => {
    harness.server.route('POST', `${BASE}/slos`, () => problem(409, 'SLO_NAME_TAKEN', 'taken'));
    const result = await run(['slos', 'create', 'x', '--objective', '0.9']);
    expect(result.code).toBe(4);
    expect(result.err).toBe('error: SLO_NAME_TAKEN: taken\n');
  });

  it('list, show and burn-rate read the API', async () => {
    harness.server.route('GET', `${BASE}/slos`, () => ({
      status: 200,
      body: { items: [SLO], next_page_token: null },
    }));
    harness.server.route('GET', `${BASE}/slos/${SLO_ID}`, () => ({ status: 200, body: SLO }));
    harness.server.route('GET', `${BASE}/slos/${SLO_ID}/burn-rate`, () => ({
      status: 200,
      body: {
        sloId: SLO_ID,
        name: 'ingest success',
        objective: 0.995,
        asOf: '2030-01-01T02:00:00.000Z',
        windows: {
          '1h': { good: 90, bad: 10, total: 100, errorRatio: 0.1, burnRate: 20 },
          '6h': { good: 0, bad: 0, total: 0, errorRatio: 0, burnRate: 0 },
          '24h': { good: 90, bad: 10, total: 100, errorRatio: 0.1, burnRate: 20 },
          '30d': { good: 90, bad: 10, total: 100, errorRatio: 0.1, burnRate: 20 },
        },
        errorBudget: {
          windowSeconds: 604_800,
          good: 90,
          bad: 10,
          total: 100,
          errorRatio: 0.1,
          allowedFailures: 0.5,
          consumed: 20,
          remaining: -19,
        },
        alertPolicy: SLO.alertPolicy,
        alerts: { fast: true, slow: false },
        openIncident: INCIDENT,
      },
    }));
    const list = await run(['slos', 'list']);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain(SLO_ID);
    expect(list.out).toContain('type ingest');
    const show = await run(['--json', 'slos', 'show', SLO_ID]);
    expect(JSON.parse(show.out)).toEqual(SLO);
    const burn = await run(['slos', 'burn-rate', SLO_ID]);
    expect(burn.code, burn.err).toBe(0);
    expect(burn.out).toContain('0 (no jobs)');
    expect(burn.out).toContain('-1900% left');
    expect(burn.out).toContain('Alerts: fast');
    expect(burn.out).toContain(INCIDENT_ID);
  });

  it('delete sends DELETE and says so', async () => {
    harness.server.route('DELETE', `${BASE}/slos/${SLO_ID}`, () => ({ status: 204 }));
    const result = await run(['slos', 'delete', SLO_ID]);
    expect(result.code, result.err).toBe(0);
    expect(harness.apiRequests()[0]).toMatchObject({ method: 'DELETE', path: `${BASE}/slos/${SLO_ID}` });
    expect(result.out).toContain(`Deleted SLO ${SLO_ID}`);
  });
});

describe('incidents', () => {
  it('list filters by status and SLO; show prints one', async () => {
    harness.server.route('GET', `${BASE}/incidents`, () => ({
      status: 200,
      body: { items: [INCIDENT], next_page_token: null },
    }));
    harness.server.route('GET', `${BASE}/incidents/${INCIDENT_ID}`, () => ({ status: 200, body: INCIDENT }));
    const list = await run(['incidents', 'list', '--status', 'open', '--slo', SLO_ID]);
    expect(list.code, list.err).toBe(0);
    expect(harness.apiRequests()[0]?.query.get('status')).toBe('open');
    expect(harness.apiRequests()[0]?.query.get('slo_id')).toBe(SLO_ID);
    expect(list.out).toContain(INCIDENT_ID);
    const show = await run(['incidents', 'show', INCIDENT_ID]);
    expect(show.out).toContain('1h 20, 6h 4');
    expect((await run(['incidents', 'list', '--status', 'burning'])).code).toBe(2);
  });
});
