/**
 * `propflow doctor`: what works and what does not on a tracking store — reachable, MLflow
 * version, auth, the artifact proxy, stages and aliases, MLflow 3 logged-model routes, and a
 * write-read-delete round trip in a scratch experiment (deleted afterwards; MLflow keeps a
 * deleted experiment's name, so every scratch name is unique).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { PropflowError } from '../errors.js';
import { isLoggedModelStore, type LoggedModelStore, type TrackingStore } from './store.js';
import type { RestStore } from './stores/rest/index.js';
import { openStore, sqlitePathFromUri, trackingUriKind } from './uri.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  check: string;
  status: CheckStatus;
  detail: string;
}

export interface DoctorReport {
  store: string;
  kind: 'embedded' | 'server';
  /** No check failed (warnings and skips allowed). */
  ok: boolean;
  checks: DoctorCheck[];
}

const SCRATCH_PREFIX = 'propflow-doctor-';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class Checks {
  readonly list: DoctorCheck[] = [];
  add(check: string, status: CheckStatus, detail: string): void {
    this.list.push({ check, status, detail });
  }
  /** Run one check; an error fails it with the error's message (and `hint`). */
  async run(
    check: string,
    fn: () => Promise<string | { status: CheckStatus; detail: string }>,
    hint = '',
  ): Promise<boolean> {
    try {
      const r = await fn();
      if (typeof r === 'string') this.add(check, 'ok', r);
      else this.add(check, r.status, r.detail);
      return typeof r === 'string' || r.status !== 'fail';
    } catch (err) {
      this.add(check, 'fail', `${message(err)}${hint ? ` ${hint}` : ''}`);
      return false;
    }
  }
}

/** Check the store `uri` names. Never creates an embedded store that does not exist. */
export async function runDoctor(uri: string): Promise<DoctorReport> {
  const checks = new Checks();
  const kind = trackingUriKind(uri) === 'sqlite' ? 'embedded' : 'server';
  if (kind === 'embedded') {
    const dbPath = sqlitePathFromUri(uri);
    if (!existsSync(dbPath)) {
      checks.add(
        'reachable',
        'fail',
        `no database at ${dbPath}; it is created by the first command that writes (e.g. 'propflow demo').`,
      );
      return { store: uri, kind, ok: false, checks: checks.list };
    }
  }
  const store = await openStore(uri, { retry: { maxRetries: 1, baseDelayMs: 200 } });
  try {
    if (kind === 'server') {
      const rest = store as unknown as RestStore;
      if (!(await serverChecks(checks, rest))) return finish(uri, kind, checks);
    } else {
      checks.add('reachable', 'ok', `embedded store ${sqlitePathFromUri(uri)}`);
      checks.add(
        'mlflow version',
        'skip',
        'embedded store (speaks the MLflow 2.12/3.x data model, no server)',
      );
      checks.add('auth', 'skip', 'embedded store: the file system decides who may write');
    }
    await storeChecks(checks, store, kind);
  } finally {
    await store.close();
  }
  return finish(uri, kind, checks);
}

function finish(store: string, kind: DoctorReport['kind'], checks: Checks): DoctorReport {
  return { store, kind, ok: checks.list.every((c) => c.status !== 'fail'), checks: checks.list };
}

/** Reachable, MLflow's API (not some other web server), version, auth. False: stop here. */
async function serverChecks(checks: Checks, rest: RestStore): Promise<boolean> {
  const started = Date.now();
  const reachable = await checks.run(
    'reachable',
    async () => {
      const health = await rest.probe('health');
      const ms = Date.now() - started;
      if (health.status === 200 && health.text.trim() === 'OK')
        return `${rest.uri} answered /health in ${ms} ms`;
      return {
        status: 'warn',
        detail: `${rest.uri} answered /health with HTTP ${health.status} in ${ms} ms`,
      };
    },
    'Check that the server runs and MLFLOW_TRACKING_URI is right.',
  );
  if (!reachable) return false;
  const version = await rest.probe('version');
  const api = await rest.probe('api/2.0/mlflow/experiments/search?max_results=1');
  if (/text\/html/.test(api.contentType) && api.status !== 401 && api.status !== 403) {
    checks.add(
      'mlflow version',
      'fail',
      `the server at ${rest.uri} answered HTML, not MLflow's API (HTTP ${api.status} on /api/2.0/mlflow/experiments/search). Point MLFLOW_TRACKING_URI at the MLflow tracking server.`,
    );
    return false;
  }
  const info = await rest.serverInfo();
  checks.add(
    'mlflow version',
    info.version ? 'ok' : 'warn',
    info.version
      ? `MLflow ${info.version}${info.hasPrompts ? ' (prompts hidden from registry searches)' : ' (no prompt registry)'}`
      : `/version answered HTTP ${version.status} '${version.text.trim().slice(0, 40)}', not an MLflow version`,
  );
  const creds = rest.sendsCredentials;
  if (api.status === 401) {
    checks.add(
      'auth',
      'fail',
      creds
        ? 'the server refused the credentials (401): check MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.'
        : 'the server needs credentials (401): set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN).',
    );
    return false;
  }
  if (api.status === 403) {
    checks.add(
      'auth',
      'fail',
      'these credentials may not read experiments (403); ask for read and write permission.',
    );
    return false;
  }
  if (api.status >= 400) {
    checks.add('auth', 'fail', `experiments/search answered HTTP ${api.status}: ${api.text.slice(0, 200)}`);
    return false;
  }
  checks.add('auth', 'ok', creds ? 'credentials accepted' : 'no credentials needed (none sent)');
  return true;
}

/** Round trip, artifact proxy, stages and aliases, logged models — all in scratch objects, removed after. */
async function storeChecks(checks: Checks, store: TrackingStore, kind: DoctorReport['kind']): Promise<void> {
  const scratch = `${SCRATCH_PREFIX}${randomUUID().slice(0, 12)}`;
  let experimentId: string | null = null;
  let runId: string | null = null;
  let modelMade = false;
  try {
    const wrote = await checks.run(
      'write-read-delete',
      async () => {
        experimentId = await store.createExperiment(scratch, {
          tags: [{ key: 'propflow.doctor', value: 'scratch' }],
        });
        const run = await store.createRun({ experimentId, runName: 'doctor' });
        runId = run.info.runId;
        await store.logBatch(runId, {
          params: [{ key: 'probe', value: 'yes' }],
          metrics: [{ key: 'probe_metric', value: 1.5, timestamp: Date.now(), step: 0 }],
          tags: [{ key: 'probe_tag', value: 'ok' }],
        });
        const back = await store.getRun(runId);
        const metric = back.data.metrics.find((m) => m.key === 'probe_metric')?.value;
        const param = back.data.params.find((p) => p.key === 'probe')?.value;
        if (metric !== 1.5 || param !== 'yes')
          throw new PropflowError(`read back metric ${metric} and param ${param}`);
        return `created experiment '${scratch}', a run with a param, metric and tag, read them back`;
      },
      'propflow cannot log runs to this store.',
    );
    if (!wrote || runId === null || experimentId === null) return;
    const exp = await store.getExperiment(experimentId);
    await checks.run(
      'artifacts',
      async () => {
        const body = `propflow doctor ${scratch}\n`;
        await store.logArtifact(runId!, 'doctor/probe.txt', body);
        const got = new TextDecoder().decode(await store.downloadArtifact(runId!, 'doctor/probe.txt'));
        if (got !== body)
          throw new PropflowError(
            `downloaded ${JSON.stringify(got.slice(0, 40))}, expected what was uploaded`,
          );
        return kind === 'server'
          ? `artifact proxy on: uploaded and downloaded through the server (${exp.artifactLocation})`
          : `artifacts stored under ${exp.artifactLocation}`;
      },
      kind === 'server'
        ? 'Start the MLflow server with --serve-artifacts (artifacts go through the server as mlflow-artifacts:/ URIs).'
        : '',
    );
    modelMade = await registryChecks(checks, store, scratch, runId);
    await loggedModelCheck(checks, store, experimentId, kind);
  } finally {
    if (modelMade) await store.deleteRegisteredModel(scratch).catch(() => undefined);
    if (runId !== null) await store.deleteRun(runId).catch(() => undefined);
    if (experimentId !== null) {
      const id = experimentId;
      await checks.run('cleanup', async () => {
        await store.deleteExperiment(id);
        return `deleted the scratch experiment${modelMade ? ', run and registered model' : ' and run'}`;
      });
    }
  }
}

/** Stages (deprecated in MLflow 3 but served) and aliases, on a scratch registered model. */
async function registryChecks(
  checks: Checks,
  store: TrackingStore,
  name: string,
  runId: string,
): Promise<boolean> {
  try {
    await store.createRegisteredModel(name, { description: 'propflow doctor scratch model' });
  } catch (err) {
    checks.add('stages', 'fail', `cannot create a registered model: ${message(err)}`);
    checks.add('aliases', 'skip', 'no registered model to try them on');
    return false;
  }
  let version: string | null = null;
  await checks.run(
    'stages',
    async () => {
      const mv = await store.createModelVersion(name, { source: `runs:/${runId}/doctor`, runId });
      version = mv.version;
      const moved = await store.transitionModelVersionStage(name, mv.version, 'Staging', false);
      if (moved.currentStage !== 'Staging')
        throw new PropflowError(`the version went to ${moved.currentStage}, not Staging`);
      const latest = await store.getLatestVersions(name, ['Staging']);
      if (latest[0]?.version !== mv.version) throw new PropflowError('get-latest-versions does not list it');
      return 'transition-stage and get-latest-versions work (stages are deprecated in MLflow 3 but served; propflow keeps aliases in step)';
    },
    'propflow registry promote/rollback need stage transitions.',
  );
  await checks.run(
    'aliases',
    async () => {
      if (version === null) return { status: 'skip', detail: 'no version to alias' };
      await store.setRegisteredModelAlias(name, 'doctor', version);
      const got = await store.getModelVersionByAlias(name, 'doctor');
      if (got.version !== version)
        throw new PropflowError(`@doctor resolves to v${got.version}, not v${version}`);
      await store.deleteRegisteredModelAlias(name, 'doctor');
      return 'set, resolve (models:/NAME@alias) and delete work';
    },
    'Aliases need MLflow 2.3 or later.',
  );
  return true;
}

async function loggedModelCheck(
  checks: Checks,
  store: TrackingStore,
  experimentId: string,
  kind: DoctorReport['kind'],
): Promise<void> {
  if (!isLoggedModelStore(store)) {
    checks.add('logged models', 'skip', 'this store has no MLflow 3 logged models');
    return;
  }
  const s = store as TrackingStore & LoggedModelStore;
  await checks.run('logged models', async () => {
    try {
      const m = await s.createLoggedModel({ experimentId, name: 'doctor' });
      await s.deleteLoggedModel(m.modelId);
      return `MLflow 3 logged-model routes work (${kind === 'server' ? 'MLflow 3 Python clients can log_model here' : 'embedded'})`;
    } catch (err) {
      if (err instanceof PropflowError && err.code === 'ENDPOINT_NOT_FOUND') {
        return {
          status: 'warn',
          detail:
            'no logged-model routes (an MLflow 2 server): propflow works without them; MLflow 3 Python clients cannot log_model here',
        };
      }
      throw err;
    }
  });
}
