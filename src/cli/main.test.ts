import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../test/helpers/cli.js';
import { PROPFLOW_VERSION } from '../config.js';
import { ModelRegistry } from '../registry/index.js';
import { openStore } from '../tracking/index.js';
import { formatNumber, redactUri, renderTable, snakeKeys } from './output.js';

const dir = mkdtempSync(path.join(tmpdir(), 'propflow-cli-'));
const uri = `sqlite:///${path.join(dir, 'tracking.db')}`;
let runId = '';

beforeAll(async () => {
  const store = await openStore(uri);
  const exp = await store.createExperiment('cli-conventions');
  const run = await store.createRun({ experimentId: exp, runName: 'r' });
  runId = run.info.runId;
  await store.logBatch(runId, { metrics: [{ key: 'val_mae', value: 6.4, timestamp: 1, step: 0 }] });
  await store.logArtifact(runId, 'model/MLmodel', 'artifact_path: model\n');
  await store.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
  const registry = new ModelRegistry(store, { actor: 'test' });
  await registry.register({ runId, name: 'NBAPropsModel' });
  await store.close();
  writeFileSync(path.join(dir, 'criteria.yaml'), 'criteria:\n  - metric: val_mae\n    max: 6.0\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit codes, one scheme', () => {
  it('is documented in --help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Exit codes:\n {2}0 {2}success\n {2}1 .*\n {2}2 {2}usage or input error.*\n {2}3 {2}a check that failed/,
    );
  });

  it('2 for a usage error: one line and the hint, not the whole help', async () => {
    const r = await cli('registry', 'promote', '--version', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "error: required option '--stage <stage>' not specified\n(run 'propflow registry promote --help' for usage)\n",
    );
    expect(r.stdout).toBe('');
    expect((await cli('no-such-command')).code).toBe(2);
    expect((await cli('help')).code).toBe(0);
    expect((await cli()).code).toBe(2); // no command: the help, as a usage error
    expect((await cli('registry', 'list', '--bogus')).code).toBe(2);
  });

  it('3 when an evaluation FAILED (and 2 for a folder given as --criteria)', async () => {
    const r = await cli(
      'registry',
      'evaluate',
      '--version',
      '1',
      '--criteria',
      path.join(dir, 'criteria.yaml'),
      '--tracking-uri',
      uri,
    );
    expect(r.stdout).toMatch(/NBAPropsModel version 1: FAILED/);
    expect(r.code).toBe(3);
    const folder = await cli(
      'registry',
      'evaluate',
      '--version',
      '1',
      '--criteria',
      dir,
      '--tracking-uri',
      uri,
    );
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`--criteria ${dir} is a folder, not a file`);
  });

  it('--json: errors are JSON on stdout too, with the exit code', async () => {
    const usage = await cli('registry', 'promote', '--json');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('');
    expect(JSON.parse(usage.stdout)).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "required option '--version <n>' not specified",
      exit_code: 2,
    });
    const missing = await cli('registry', 'show', '--name', 'Nope', '--json', '--tracking-uri', uri);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', exit_code: 2 });
  });
});

describe('versions', () => {
  it('propflow --version is package.json’s version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(PROPFLOW_VERSION).toBe(pkg.version);
    expect((await cli('--version')).stdout.trim()).toBe(pkg.version);
  });
});

describe('help', () => {
  it('`help registry promote` shows promote’s help; required options are marked, defaults shown as values', async () => {
    const r = await cli('help', 'registry', 'promote');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: propflow registry promote/);
    expect(r.stdout).toMatch(/--version <n> +model version \(required\)/);
    expect(r.stdout).toMatch(/--name <model> +registered model name \(default: NBAPropsModel\)/);
    expect(r.stdout).not.toMatch(/default: "/);
  });

  it('--actor only on commands that act', async () => {
    expect((await cli('registry', 'list', '--help')).stdout).not.toContain('--actor');
    expect((await cli('registry', 'history', '--help')).stdout).not.toContain('--actor');
    expect((await cli('registry', 'promote', '--help')).stdout).toContain('--actor');
  });
});

describe('the store', () => {
  it('every command names it on stderr, and in a --json field', async () => {
    const r = await cli('registry', 'list', '--json', '--tracking-uri', uri);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`store: ${uri}\n`);
    const body = JSON.parse(r.stdout);
    expect(body.store).toBe(uri);
    expect(body.models[0]).toMatchObject({ name: 'NBAPropsModel', versions: 1 });
  });

  it('read-only commands on a missing store: an error naming the path, nothing created', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    for (const cmd of ['list', 'show', 'history']) {
      const r = await cli('registry', cmd, '--tracking-uri', `sqlite:///${empty}/sub/x.db`);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`There is no tracking store at ${empty}/sub/x.db`);
    }
    expect(readdirSync(empty)).toEqual([]);
  });
});

describe('messages with context', () => {
  it('a server that is not MLflow: "answered HTML, not MLflow\'s API"', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><html><head><title>Router login</title></head><body>hi</body></html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const r = await cli('registry', 'list', '--tracking-uri', url);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`store: ${url}`);
      expect(r.stderr).toMatch(/the server answered HTML \(HTTP 200, "Router login"\), not MLflow's API/);
    } finally {
      server.close();
    }
  });

  it("configs/criteria.yaml (the README's criteria file) loads", async () => {
    const { loadCriteria } = await import('../registry/index.js');
    const criteria = await loadCriteria('configs/criteria.yaml');
    expect(JSON.stringify(criteria)).toContain('validation_predictions.csv');
  });

  it('reconcile of an unknown model is worded like the other commands', async () => {
    const r = await cli('registry', 'reconcile', '--name', 'NoSuchModel', '--tracking-uri', uri);
    const show = await cli('registry', 'show', '--name', 'NoSuchModel', '--tracking-uri', uri);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(show.stderr);
    expect(r.stderr).toMatch(/Registered model 'NoSuchModel' does not exist/);
  });
});

describe('output', () => {
  it('tables fit 100 columns, numbers right-aligned and formatted one way, no colour off a terminal', () => {
    const long = 'x'.repeat(150);
    const t = renderTable(
      ['name', 'value', 'note'],
      [
        ['a', 1.23456789, long],
        ['b', 12, 'short words that wrap at spaces when the column is narrow'],
      ],
    );
    for (const line of t.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(t).not.toContain('\u001b[');
    expect(t.split('\n')[2]).toMatch(/^a +1\.2346 {2}x+$/);
    expect(t.split('\n').find((l) => l.startsWith('b'))).toMatch(/^b +12 {2}short/);
    expect(t.replaceAll(/\s/g, '')).toContain(long);
  });

  it('a password in a tracking URI is never printed', () => {
    expect(redactUri('http://ana:s3cret@host:5000/x')).toBe('http://ana:***@host:5000/x');
    expect(redactUri('sqlite:///propflow/tracking.db')).toBe('sqlite:///propflow/tracking.db');
  });

  it('formatNumber and snake_case JSON keys (user-data maps kept as they are)', () => {
    expect([5, 5.6, 0.0312, 1 / 3, 1e-7, Number.NaN].map(formatNumber)).toEqual([
      '5',
      '5.6',
      '0.0312',
      '0.3333',
      '1.000e-7',
      'NaN',
    ]);
    expect(
      snakeKeys({
        runId: 'r',
        reportUri: 'u',
        results: [{ criterionName: 1 }],
        params: { learningRate: 0.1, run1: { maxDepth: 6 } },
        aliases: { Champion: '2' },
      }),
    ).toEqual({
      run_id: 'r',
      report_uri: 'u',
      results: [{ criterion_name: 1 }],
      params: { learningRate: 0.1, run1: { maxDepth: 6 } },
      aliases: { Champion: '2' },
    });
  });

  it('registry show as JSON uses snake_case keys and history rows read like the promote output', async () => {
    const show = JSON.parse((await cli('registry', 'show', '--json', '--tracking-uri', uri)).stdout);
    expect(show.versions[0]).toHaveProperty('run_id', runId);
    expect(show.versions[0]).not.toHaveProperty('runId');
    const h = await cli('registry', 'history', '--tracking-uri', uri);
    expect(h.stdout).toMatch(/v1 registered/);
    for (const line of h.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });
});
