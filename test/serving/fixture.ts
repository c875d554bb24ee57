/**
 * A small world to serve: a seeded one-season synthetic league written as a dataset folder up to
 * a cut-off day (the rest of the season is "the future"), and model versions trained on that
 * history, logged as runs (model artifact with calibration and input example, val_mae,
 * training_info.json with dataset_dir) and registered — into a real embedded store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Dataset,
  filterRows,
  formatDay,
  synthesizeLeague,
  versionOf,
  writeDataset,
} from '../../src/data/index.js';
import { buildFeatures, type FeatureSet, linesForRows, V3_ADVANCED } from '../../src/features/index.js';
import {
  fitIsotonic,
  inputExampleFrom,
  sliceRows,
  trainGbdt,
  writeModelArtifact,
} from '../../src/models/index.js';
import { ModelRegistry } from '../../src/registry/index.js';
import { getOrCreateExperiment, openStore, type TrackingStore } from '../../src/tracking/index.js';

export interface World {
  root: string;
  trackingUri: string;
  dataDir: string;
  store: TrackingStore;
  league: Dataset;
  /** Last day in the dataset folder. */
  cut: number;
  close(): Promise<void>;
}

/** The league's games in (from, to]: the dataset as it would be ingested up to `to`. */
export function leagueUpTo(league: Dataset, to: number): Dataset {
  const keep = (date: ArrayLike<number>) => (i: number) => date[i]! <= to;
  return {
    players: filterRows('players', league.players, keep(league.players.date)),
    ...(league.teams ? { teams: filterRows('teams', league.teams, keep(league.teams.date)) } : {}),
    ...(league.lines ? { lines: filterRows('lines', league.lines, keep(league.lines.date)) } : {}),
    ...(league.consensus
      ? { consensus: filterRows('consensus', league.consensus, keep(league.consensus.date)) }
      : {}),
    source: `${league.source} up to ${formatDay(to)}`,
    reports: league.reports,
  };
}

export async function makeWorld(
  options: { seed?: number; seasons?: number; cutFraction?: number; root?: string } = {},
): Promise<World> {
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), 'propflow-serving-'));
  const league = synthesizeLeague({ seed: options.seed ?? 11, seasons: options.seasons ?? 1 });
  const p = league.players;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < p.n; i++) {
    first = Math.min(first, p.date[i]!);
    last = Math.max(last, p.date[i]!);
  }
  const cut = first + Math.floor((last - first) * (options.cutFraction ?? 0.6));
  const dataDir = path.join(root, 'dataset');
  writeDataset(dataDir, leagueUpTo(league, cut));
  const trackingUri = `sqlite:///${path.join(root, 'tracking.db')}`;
  const store = await openStore(trackingUri);
  return {
    root,
    trackingUri,
    dataDir,
    store,
    league,
    cut,
    close: async () => {
      await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface VersionSpec {
  /** Trees (default 20). */
  trees?: number;
  /** Tree depth (default 4). */
  depth?: number;
  /** Added to every training target: a model that is off by this much live. */
  shift?: number;
  /** Log this val_mae instead of the measured one (a version whose validation looked better than it is). */
  claimedValMae?: number;
  calibration?: boolean;
  trainingInfo?: 'dataset_dir' | 'synthetic' | 'none';
  /** Replace the model file by something unreadable (a version that fails to load). */
  broken?: boolean;
  /** Feature set of the model (default v3_advanced). */
  featureSet?: FeatureSet;
}

/** Train, log and register one version over the world's dataset folder; returns its number. */
export async function addVersion(
  world: World,
  spec: VersionSpec = {},
  name = 'NBAPropsModel',
): Promise<string> {
  const { readDataset } = await import('../../src/data/index.js');
  const ds = readDataset(world.dataDir);
  const featureSet = spec.featureSet ?? V3_ADVANCED;
  const m = buildFeatures(ds.players, featureSet);
  const y = Float32Array.from(m.target, (v) => v + (spec.shift ?? 0));
  const nTrain = Math.floor(m.nRows * 0.8);
  const model = trainGbdt(
    m,
    y,
    { nEstimators: spec.trees ?? 20, maxDepth: spec.depth ?? 4, learningRate: 0.15, seed: 1 },
    { rows: nTrain },
  );
  const val = sliceRows(m, nTrain, m.nRows);
  const pred = model.predict(val);
  let abs = 0;
  for (let i = 0; i < pred.length; i++) abs += Math.abs(pred[i]! - m.target[nTrain + i]!);
  const valMae = abs / pred.length;
  const experimentId = await getOrCreateExperiment(world.store, 'NBA_Props_Model/Test');
  const run = await world.store.createRun({ experimentId, runName: `serving_test_${Date.now()}` });
  const runId = run.info.runId;
  await world.store.logMetric(runId, {
    key: 'val_mae',
    value: spec.claimedValMae ?? valMae,
    timestamp: Date.now(),
    step: 0,
  });
  if ((spec.trainingInfo ?? 'dataset_dir') !== 'none') {
    const info: Record<string, unknown> = {
      dataset: versionOf(ds),
      dataset_dir: spec.trainingInfo === 'synthetic' ? null : world.dataDir,
      final_model: { train_rows: nTrain, date_max: formatDay(m.keys.date[nTrain - 1]!) },
    };
    if (spec.trainingInfo === 'synthetic') info['synthetic'] = { seed: 11, seasons: 1 };
    await world.store.logArtifact(runId, 'training_info.json', JSON.stringify(info));
  }
  let calibration = null;
  if (spec.calibration ?? true) {
    const lines = linesForRows(m, ds.consensus!);
    const x: number[] = [];
    const over: number[] = [];
    for (let i = 0; i < pred.length; i++) {
      const l = lines.line[nTrain + i]!;
      if (Number.isNaN(l)) continue;
      x.push(pred[i]! - l);
      over.push(m.target[nTrain + i]! > l ? 1 : 0);
    }
    calibration = fitIsotonic(x, over, { yMin: 0, yMax: 1 });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'propflow-serving-model-'));
  try {
    writeModelArtifact(dir, {
      model,
      featureSet,
      runId,
      calibration,
      inputExample: inputExampleFrom(m, 3),
    });
    if (spec.broken) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(dir, 'model.json'), '{"format": "not-a-model"}');
    }
    await world.store.logArtifactsFrom(runId, dir, 'model');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await world.store.updateRun(runId, { status: 'FINISHED', endTime: Date.now() });
  const reg = await new ModelRegistry(world.store, { actor: 'test' }).register({ runId, name });
  if (!reg.registered) throw new Error(reg.reason);
  return reg.version;
}

/** Promote a version to Production (forced: the test versions carry no evaluation). */
export async function promote(store: TrackingStore, version: string, name = 'NBAPropsModel'): Promise<void> {
  await new ModelRegistry(store, { actor: 'test' }).promote({
    name,
    version,
    stage: 'Production',
    force: true,
    reason: `test: promote v${version}`,
  });
}

/** The scheduled player-games of the league after the cut (the "upcoming" games, with results). */
export function upcomingGames(world: World, days = 7, limit = Number.POSITIVE_INFINITY) {
  const p = world.league.players;
  const out: Array<{
    player_id: number;
    game_date: string;
    team: string;
    opponent: string;
    home: boolean;
    actual: number;
  }> = [];
  for (let i = 0; i < p.n && out.length < limit; i++) {
    const d = p.date[i]!;
    if (d <= world.cut || d > world.cut + days) continue;
    out.push({
      player_id: p.playerId[i]!,
      game_date: formatDay(d),
      team: p.team[i]!,
      opponent: p.opponent[i]!,
      home: p.home[i] === 1,
      actual: p.pra[i]!,
    });
  }
  return out;
}
