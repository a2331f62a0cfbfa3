import { prometheusCommands } from '@stella-orch/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../e2e/harness.js';

/** One series of an instant query's answer. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: readonly [number, string];
}

/** A Prometheus server run as a child process of the test, on a loopback port and a throwaway TSDB. */
export interface PrometheusProcess {
  readonly url: string;
  /** What the process wrote on standard error (its log), for failure messages. */
  log(): string;
  /** `GET /api/v1/<path>`; rejects unless the answer is `status: success`. */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** An instant query at the current time. */
  query(expr: string): Promise<PromSample[]>;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts `prometheus` with `scrape_interval` and `evaluation_interval` 1 s, scraping `target`
 * (`host:port`) as job `stella-orch`, with `ruleFiles` loaded, its TSDB and configuration in `dir`.
 * Resolves once `/-/ready` answers.
 */
export async function startPrometheus(options: {
  readonly dir: string;
  readonly target: string;
  readonly ruleFiles: readonly string[];
  /** The bearer token `/metrics` wants, written to a credentials file as the README shows. */
  readonly bearerToken?: string;
}): Promise<PrometheusProcess> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const authorization =
    options.bearerToken === undefined
      ? ''
      : `    authorization:\n      credentials_file: ${JSON.stringify(join(dir, 'metrics-token'))}\n`;
  if (options.bearerToken !== undefined) writeFileSync(join(dir, 'metrics-token'), options.bearerToken);
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      ...options.ruleFiles.map((file) => `  - ${JSON.stringify(file)}`),
      'scrape_configs:',
      '  - job_name: stella-orch',
      '    metrics_path: /metrics',
      authorization + `    static_configs:\n      - targets: [${JSON.stringify(options.target)}]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    prometheusCommands().prometheus,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const server: PrometheusProcess = {
    url,
    log: () => stderr,
    api: async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
      const search = new URLSearchParams(params).toString();
      const res = await fetch(`${url}/api/v1/${path}${search === '' ? '' : `?${search}`}`);
      const body = (await res.json()) as { status: string; data: T; error?: string; errorType?: string };
      if (body.status !== 'success') {
        throw new Error(`${path} ${JSON.stringify(params)}: ${body.errorType ?? ''} ${body.error ?? ''}`);
      }
      return body.data;
    },
    query: async (expr) =>
      (await server.api<{ resultType: string; result: PromSample[] }>('query', { query: expr })).result,
    stop: async () => {
      if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError !== undefined) throw new Error(`prometheus could not be started: ${spawnError.message}`);
    if (child.exitCode !== null) {
      throw new Error(`prometheus exited with ${child.exitCode}:\n${stderr}`);
    }
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`prometheus was not ready within 20 s:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
