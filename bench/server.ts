/**
 * `npm run bench -- server [--requests 400] [--batch 1000] [--clients 8]`: a fresh
 * `propflow server` in a child process (its own event loop and SQLite connection, as in
 * production), `clients` concurrent HTTP clients in this process posting `runs/log-batch`
 * requests of `batch` metric points each until `requests` have been answered. Prints progress to
 * stderr and, last, one JSON line: requests/s, points/s and the 99th percentile latency.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { positiveIntArg } from './lib/args.js';

const requests = positiveIntArg('requests', 400);
const batch = positiveIntArg('batch', 1000);
const clients = positiveIntArg('clients', 8);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'pf-bench-server-'));

function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'bin', 'propflow.js'),
      'server',
      '--port',
      '0',
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'tracking.db')}`,
      '--artifacts-destination',
      path.join(dir, 'artifacts'),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.on('close', (code) => reject(new Error(`server exited (${code}) before listening`)));
  });
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const { child, url } = await startServer();
process.stderr.write(`server at ${url}; ${clients} clients, ${requests} requests of ${batch} points\n`);
try {
  const api = `${url}/api/2.0/mlflow`;
  const { experiment_id } = (await post(`${api}/experiments/create`, { name: 'bench' })) as {
    experiment_id: string;
  };
  const runs: string[] = [];
  for (let c = 0; c < clients; c++) {
    const { run } = (await post(`${api}/runs/create`, { experiment_id, start_time: Date.now() })) as {
      run: { info: { run_id: string } };
    };
    runs.push(run.info.run_id);
  }
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    runs.map(async (runId, c) => {
      for (;;) {
        const i = next++;
        if (i >= requests) return;
        const metrics = Array.from({ length: batch }, (_, j) => ({
          key: `m${j % 20}`,
          value: Math.sin(i + j),
          timestamp: 1_700_000_000_000 + i,
          step: i * batch + j,
        }));
        const t0 = performance.now();
        await post(`${api}/runs/log-batch`, { run_id: runId, metrics });
        latencies.push(performance.now() - t0);
        if ((i + 1) % 100 === 0) process.stderr.write(`  ${i + 1}/${requests} requests (client ${c})\n`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0;
  // Check the points arrived.
  const { metrics } = (await (
    await fetch(`${api}/metrics/get-history?run_id=${runs[0]}&metric_key=m0`)
  ).json()) as {
    metrics?: unknown[];
  };
  process.stderr.write(`  run 0 metric m0 holds ${metrics?.length ?? 0} points\n`);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'server',
      requests_per_s: Math.round(requests / seconds),
      points_per_s: Math.round((requests * batch) / seconds),
      p99_ms: Math.round(p99 * 10) / 10,
    })}\n`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  rmSync(dir, { recursive: true, force: true });
}
