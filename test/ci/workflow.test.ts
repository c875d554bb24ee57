/**
 * The team's workflow template (templates/github/propflow-train.yml): it parses with GitHub's
 * own parser, and its jobs' `run:` steps, executed in order with bash as a runner would
 * (step outputs through $GITHUB_OUTPUT, the summary in $GITHUB_STEP_SUMMARY, secrets as
 * environment), train, gate-register, evaluate and stage a model on a throwaway
 * `propflow server`, then promote it by the manual job and compare the next run with it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseStepOutputs } from '../../src/ci/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { openStore, type TrackingStore } from '../../src/tracking/index.js';

const WORKFLOW = path.resolve('templates/github/propflow-train.yml');

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}

/** `${{ … }}` in a step's env: step outputs, secrets, inputs and github.actor, as a runner resolves them. */
function resolveExpressions(
  text: string,
  ctx: { outputs: Record<string, Record<string, string>>; values: Record<string, string> },
) {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
    if (m) return ctx.outputs[m[1]!]?.[m[2]!] ?? '';
    if (expr in ctx.values) return ctx.values[expr]!;
    throw new Error(`the test does not know how to resolve \${{ ${expr} }}`);
  });
}

/** One `run:` script with bash, as a runner runs it (asynchronously: the server under test is in this process). */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', script], { env });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** Run a job's steps the way a runner does: `uses:` steps and `npm ci` are the runner's set-up here. */
async function runJob(
  steps: Step[],
  env: Record<string, string>,
  ctx: { values: Record<string, string> },
  dir: string,
): Promise<{ outputs: Record<string, Record<string, string>>; codes: Record<string, number>; log: string }> {
  const outputs: Record<string, Record<string, string>> = {};
  const codes: Record<string, number> = {};
  let log = '';
  let failed = false;
  for (const [i, step] of steps.entries()) {
    if (!step.run || step.run.trim() === 'npm ci') continue;
    const key = step.id ?? `step${i}`;
    const condition = step.if ?? '';
    const always = condition.includes('always()');
    if (failed && !always) continue;
    if (condition.includes("steps.train.outputs.run_id != ''") && !outputs['train']?.['run_id']) continue;
    const outFile = path.join(dir, `output-${key}-${Date.now()}`);
    writeFileSync(outFile, '');
    const stepEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.env ?? {}))
      stepEnv[k] = resolveExpressions(String(v), { outputs, ...ctx });
    const r = await bash(step.run, {
      ...process.env,
      NO_COLOR: '1',
      ...env,
      ...stepEnv,
      GITHUB_OUTPUT: outFile,
    });
    codes[key] = r.code;
    log += `$ ${step.run}\n${r.output}\n`;
    outputs[key] = parseStepOutputs(readFileSync(outFile, 'utf8'));
    if (r.code !== 0) failed = true;
  }
  return { outputs, codes, log };
}

describe('the GitHub Actions workflow template', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const doc = parseYaml(text) as {
    env: Record<string, string>;
    jobs: Record<string, { steps: Step[]; if?: string }>;
    on: Record<string, unknown>;
  };

  it('parses with GitHub’s workflow parser, with the two jobs and the manual inputs', async () => {
    const parsed = parseWorkflow({ name: 'propflow-train.yml', content: text }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect(template.errors ?? []).toEqual([]);
    expect(template.jobs.map((j) => ('id' in j ? j.id.value : ''))).toEqual(['train', 'promote']);
    const dispatch = doc.on['workflow_dispatch'] as { inputs: Record<string, { required: boolean }> };
    expect(Object.keys(dispatch.inputs)).toEqual(['version', 'reason']);
    expect(Object.values(dispatch.inputs).every((i) => i.required)).toBe(true);
    // a change to a config triggers training; the commands are propflow's own
    expect((doc.on['push'] as { paths: string[] }).paths).toContain('configs/**');
    const runs = doc.jobs['train']!.steps.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['propflow doctor', 'propflow ci train', 'propflow ci gate', 'propflow ci summary'])
      expect(runs).toContain(cmd);
  });

  it('refuses a broken workflow (the parser check is real)', () => {
    const broken = text.replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest');
    const parsed = parseWorkflow({ name: 'broken.yml', content: broken }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  describe('its steps, run in order against a throwaway propflow server', () => {
    let dir: string;
    let server: RunningServer;
    let store: TrackingStore;
    let env: Record<string, string>;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'propflow-ci-workflow-'));
      server = await startServer({
        backendStoreUri: `sqlite:///${path.join(dir, 'tracking.db')}`,
        artifactsDestination: path.join(dir, 'artifacts'),
        host: '127.0.0.1',
        port: 0,
      });
      store = await openStore(server.url, { env: {} });
      const config = path.join(dir, 'walk-forward.yaml');
      writeFileSync(config, CI_TEST_CONFIG);
      const values = {
        'secrets.MLFLOW_TRACKING_URI': server.url,
        'secrets.MLFLOW_TRACKING_USERNAME': '',
        'secrets.MLFLOW_TRACKING_PASSWORD': '',
        'github.actor': 'octocat',
      };
      env = {};
      for (const [k, v] of Object.entries(doc.env))
        env[k] = resolveExpressions(String(v), { outputs: {}, values });
      // the template's defaults, made small for a test: a tiny league and a loose gate
      env['PIPELINE_CONFIG'] = config;
      env['CRITERIA'] = path.join(dir, 'criteria.yaml');
      writeFileSync(env['CRITERIA'], CI_TEST_CRITERIA);
      env['GATE'] = 'val_mae<20';
      env['GITHUB_STEP_SUMMARY'] = path.join(dir, 'summary.md');
      writeFileSync(env['GITHUB_STEP_SUMMARY'], '');
    }, 60_000);

    afterAll(async () => {
      await store?.close();
      await server?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('train → gate → Staging → summary; the manual job promotes; the next run is compared with Production', async () => {
      const values = { 'github.actor': 'octocat' };
      const first = await runJob(doc.jobs['train']!.steps, env, { values }, dir);
      expect(first.codes, first.log).toEqual({ step3: 0, train: 0, gate: 0, step6: 0 });
      const runId = first.outputs['train']!['run_id']!;
      expect(runId).toMatch(/^[0-9a-f]{32}$/);
      expect(first.outputs['gate']).toMatchObject({ registered: 'true', version: '1', stage: 'Staging' });
      const registry = new ModelRegistry(store);
      expect((await registry.show('NBAPropsModel')).staging).toBe('1');
      const firstSummary = readFileSync(env['GITHUB_STEP_SUMMARY']!, 'utf8');
      expect(firstSummary).toContain('has no Production version yet');
      expect(firstSummary).toMatch(/\| val_mae \| 5\.\d{4} \|/);

      const promote = await runJob(
        doc.jobs['promote']!.steps,
        env,
        { values: { 'inputs.version': '1', 'inputs.reason': 'first CI model', ...values } },
        dir,
      );
      expect(Object.values(promote.codes), promote.log).toEqual([0]);
      expect((await registry.show('NBAPropsModel')).production).toBe('1');
      const history = await registry.history('NBAPropsModel');
      expect(history.some((e) => e.reason === 'first CI model' && e.actor === 'github-actions/octocat')).toBe(
        true,
      );

      writeFileSync(env['GITHUB_STEP_SUMMARY']!, '');
      const second = await runJob(doc.jobs['train']!.steps, env, { values }, dir);
      expect(second.codes, second.log).toEqual({ step3: 0, train: 0, gate: 0, step6: 0 });
      const summary = readFileSync(env['GITHUB_STEP_SUMMARY']!, 'utf8');
      expect(summary).toContain('Compared with the Production version 1');
      expect(summary).toContain(second.outputs['train']!['run_id']!.slice(0, 8));
      expect(summary).toMatch(/\|.*val_mae.*\|/);
      expect((await registry.show('NBAPropsModel')).staging).toBe('2');
    }, 300_000);
  });
});

/** The shipped criteria's checks, with bounds a tiny model on a tiny league meets. */
const CI_TEST_CRITERIA = `criteria:
  - metric: val_mae
    max: 20
  - metric: n_bets
    min: 1
  - artifact: validation_predictions.csv
`;

/** A small walk-forward config (the template's configs/walk-forward.yaml trains a real season). */
const CI_TEST_CONFIG = `pipeline: walk-forward
experiment: NBA_Props_Model/CI
seed: 7
data:
  synthetic: { seed: 7, seasons: 1 }
model: { n_estimators: 15, max_depth: 4, learning_rate: 0.3, min_child_weight: 20 }
validation: { start: season_mid, refit_every_days: 14 }
`;
