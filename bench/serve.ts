/**
 * `npm run bench -- serve [--seconds 20] [--clients 16] [--profile DIR]`: `propflow serve` in a child process
 * on loopback over a two-season synthetic league (history to mid second season) and a
 * registry with demo-sized models (150 trees, depth 6); `clients` concurrent keep-alive HTTP
 * clients in this process send single-game requests (with a line, so P(over) is computed)
 * for `seconds`; a third of the way in the registry promotes another version, two thirds in it
 * rolls back. Prints progress to stderr and, last, one JSON line:
 * `{"bench":"serve","rps","p50_ms","p99_ms","failed","swaps","mixed", …}`.
 *
 * Also measured, to say what the latency is made of: the service's own time per request
 * (its Prometheus histogram, i.e. routing + JSON + features + model + recording) and the
 * in-process time of checking and predicting one game.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seasonOfDay } from '../src/data/index.js';
import { ModelRegistry } from '../src/registry/index.js';
import {
  loadServedModel,
  loadServingData,
  makeSnapshot,
  PredictionRecorder,
  parseRequest,
  predictGames,
  predictPra,
} from '../src/serving/index.js';
import { addVersion, makeWorld, promote, upcomingGames } from '../test/serving/fixture.js';
import { positiveArg } from './lib/args.js';

const seconds = positiveArg('seconds', 20);
/** `--profile DIR`: write a V8 CPU profile of the service there (for what dominates the latency). */
const profileAt = process.argv.indexOf('--profile');
const profileDir = profileAt >= 0 ? path.resolve(process.argv[profileAt + 1] ?? '.') : null;
const clients = positiveArg('clients', 16);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(tmpdir(), 'pf-bench-serve-'));
const say = (line: string) => process.stderr.write(`${line}\n`);

function startService(trackingUri: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      path.join(root, 'bin', 'propflow.js'),
      'serve',
      '--tracking-uri',
      trackingUri,
      '--data',
      dataDir,
      '--port',
      '0',
      '--poll-seconds',
      '0.25',
      '--monitor-db',
      path.join(dir, 'serving.db'),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (/swapped|error/.test(line)) say(`  service: ${line}`);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve({ child, url: m[1] });
    });
    child.on('close', (code) => reject(new Error(`service exited (${code}) before listening`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

function post(url: URL, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Quantile of the service's latency histogram (linear inside the bucket). */
function histogramQuantile(metrics: string, q: number): number {
  const buckets = new Map<number, number>();
  for (const m of metrics.matchAll(
    /propflow_serving_request_duration_seconds_bucket\{le="([^"]+)",route="\/v1\/predictions"[^}]*\} (\d+)/g,
  )) {
    const le = m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]);
    buckets.set(le, (buckets.get(le) ?? 0) + Number(m[2]));
  }
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= q * total) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((q * total - prevCount) / Math.max(1, count - prevCount)) * (le - prevLe);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

let child: ChildProcess | undefined;
try {
  say('bench serve: building a two-season league and three registered versions (150 trees, depth 6)…');
  const world = await makeWorld({ seed: 42, seasons: 2, cutFraction: 0.85, root: dir });
  const v1 = await addVersion(world, { trees: 150, depth: 6 });
  const v2 = await addVersion(world, { trees: 150, depth: 6, shift: 0.5 });
  await promote(world.store, v1);
  const data = loadServingData(world.dataDir);
  const games = upcomingGames(world, 10)
    .filter((g) => data.playerIndex.has(g.player_id))
    .map(({ actual, ...g }) => JSON.stringify({ games: [{ ...g, line: 20.5 }] }));
  say(
    `  history ${data.players.n.toLocaleString('en-US')} player-games; ${games.length} distinct upcoming games to ask for`,
  );

  // in-process cost of one single-game request's work (parse + features + model + calibration)
  const served = await loadServedModel(world.store, await world.store.getModelVersion('NBAPropsModel', v1));
  const snap = makeSnapshot(served, data);
  const parsed = games.slice(0, 500).map((g) => JSON.parse(g) as unknown);
  for (const b of parsed) predictGames(snap, parseRequest(b, data));
  const tp = performance.now();
  const reps = 4000;
  for (let i = 0; i < reps; i++) predictGames(snap, parseRequest(parsed[i % parsed.length], data));
  const predictUs = ((performance.now() - tp) / reps) * 1000;
  // the two big parts of it: the feature code and the trees
  const keys = parsed.slice(0, 200).map((b) => {
    const g = parseRequest(b, data)[0]!;
    const day = Date.parse(g.game_date) / 86_400_000;
    return {
      n: 1,
      gameId: ['request:0'],
      date: Int32Array.of(day),
      season: Int16Array.of(seasonOfDay(day)),
      playerId: Int32Array.of(g.player_id),
      team: [g.team],
      opponent: [g.opponent],
      home: Uint8Array.of(g.home ? 1 : 0),
    };
  });
  let tf = performance.now();
  for (let i = 0; i < reps; i++) snap.features(keys[i % keys.length]!);
  const featuresUs = ((performance.now() - tf) / reps) * 1000;
  const X = snap.features(keys[0]!);
  tf = performance.now();
  for (let i = 0; i < reps; i++) predictPra(served.model, X);
  const modelUs = ((performance.now() - tf) / reps) * 1000;
  say(
    `  in-process, one game: ${predictUs.toFixed(1)} µs for check + features + 150-tree model + calibration (features ${featuresUs.toFixed(1)} µs, trees ${modelUs.toFixed(1)} µs)`,
  );

  const started = await startService(world.trackingUri, world.dataDir);
  child = started.child;
  const url = new URL('/v1/predictions', started.url);
  say(
    `  service at ${started.url}; ${clients} clients for ${seconds} s, promotion at ${(seconds / 3).toFixed(1)} s, rollback at ${((2 * seconds) / 3).toFixed(1)} s`,
  );

  // warm-up (JIT, connections), not measured
  let answered = 0;
  const warmEnd = performance.now() + 1500;
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = k; performance.now() < warmEnd; i += clients) {
        if ((await post(url, games[i % games.length]!)).status === 200) answered++;
      }
    }),
  );

  const latencies: number[] = [];
  let failed = 0;
  let mixed = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const registry = new ModelRegistry(world.store, { actor: 'bench' });
  const control = (async () => {
    await new Promise((r) => setTimeout(r, (seconds * 1000) / 3));
    await promote(world.store, v2);
    say(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: promoted v${v2}`);
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + (2 * seconds * 1000) / 3 - performance.now())));
    await registry.rollback({ name: 'NBAPropsModel', reason: 'bench: rollback during load' });
    say(`  ${((performance.now() - t0) / 1000).toFixed(1)} s: rolled back to v${v1}`);
  })();
  const versionsSeen = new Map<string, number>();
  await Promise.all(
    Array.from({ length: clients }, async (_, k) => {
      for (let i = k * 7919; performance.now() < end; i++) {
        const s = performance.now();
        try {
          const res = await post(url, games[i % games.length]!);
          latencies.push(performance.now() - s);
          if (res.status !== 200) {
            failed++;
            if (failures.length < 5) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
            continue;
          }
          answered++;
          const body = JSON.parse(res.text) as {
            model: { version: string };
            predictions: Array<{ model_version: string }>;
          };
          if (body.predictions.some((p) => p.model_version !== body.model.version)) mixed++;
          versionsSeen.set(body.model.version, (versionsSeen.get(body.model.version) ?? 0) + 1);
        } catch (err) {
          failed++;
          if (failures.length < 5) failures.push((err as Error).message);
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  await control;
  // let the service see the rollback if the run ended right on it
  await new Promise((r) => setTimeout(r, 600));
  const metrics = await (await fetch(new URL('/metrics', started.url))).text();
  const swaps = Number(
    /propflow_serving_model_swaps_total\{model="NBAPropsModel"\} (\d+)/.exec(metrics)?.[1] ?? 0,
  );
  // stop the service (graceful: it writes its pending records) and count what it recorded
  const closed = new Promise((r) => child!.once('close', r));
  child.kill('SIGTERM');
  await closed;
  const recorder = new PredictionRecorder(path.join(dir, 'serving.db'), { readOnly: true });
  const recorded = recorder.counts().reduce((a, c) => a + c.served, 0);
  recorder.close();
  say(
    `  recorded ${recorded.toLocaleString('en-US')} predictions for ${answered.toLocaleString('en-US')} answered requests (warm-up included)`,
  );
  const sorted = Float64Array.from(latencies).sort();
  const round = (x: number, d = 3) => Number(x.toFixed(d));
  for (const f of failures) say(`  failure: ${f}`);
  say(
    `  answered by version: ${[...versionsSeen].map(([v, n]) => `v${v} ${n.toLocaleString('en-US')}`).join(', ')}; service-side p50 ${(histogramQuantile(metrics, 0.5) * 1000).toFixed(2)} ms, p99 ${(histogramQuantile(metrics, 0.99) * 1000).toFixed(2)} ms`,
  );
  process.stdout.write(
    `${JSON.stringify({
      bench: 'serve',
      rps: Math.round(latencies.length / wall),
      p50_ms: round(quantile(sorted, 0.5)),
      p99_ms: round(quantile(sorted, 0.99)),
      failed,
      swaps,
      mixed,
      requests: latencies.length,
      recorded,
      clients,
      seconds: round(wall, 1),
      service_p50_ms: round(histogramQuantile(metrics, 0.5) * 1000),
      service_p99_ms: round(histogramQuantile(metrics, 0.99) * 1000),
      predict_us: round(predictUs, 1),
      features_us: round(featuresUs, 1),
      trees_us: round(modelUs, 1),
    })}\n`,
  );
  await world.store.close();
} finally {
  agent.destroy();
  if (child && child.exitCode === null) {
    const closed = new Promise((r) => child!.once('close', r));
    child.kill('SIGTERM');
    await closed;
  }
  rmSync(dir, { recursive: true, force: true });
}
