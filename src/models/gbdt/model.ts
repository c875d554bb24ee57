/**
 * The fitted booster: prediction, feature importance, versioned JSON (validated on load)
 * and export to XGBoost's JSON model format.
 */
import { z } from 'zod';
import { DataError, InvalidParameterError } from '../../errors.js';
import { describeIssues, parseJsonText } from '../json.js';
import { BinnedMatrix } from './binning.js';
import { checkFeatureMatrix, type FeatureMatrix, sliceRows } from './matrix.js';
import { type GbdtParams, type GbdtParamsInput, gbdtParamsSchema, resolveParams } from './params.js';
import { type TrainOptions, trainTrees } from './train.js';
import { PackedForest, type Tree } from './tree.js';

export const GBDT_FORMAT = 'propflow-gbdt';
export const GBDT_FORMAT_VERSION = 1;

export type ImportanceType = 'gain' | 'split';

/** The JSON form of a model (`GbdtModel.toJSON()`), loaded back by `loadGbdt`. */
export interface GbdtModelJSON {
  format: typeof GBDT_FORMAT;
  formatVersion: typeof GBDT_FORMAT_VERSION;
  nFeatures: number;
  featureNames: string[] | null;
  params: GbdtParams;
  baseScore: number;
  trainRows: number;
  bestIteration: number;
  metric: string;
  validHistory: number[];
  huberDeltaUsed?: number;
  trees: TreeJSON[];
}

interface TreeJSON {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  defaultLeft: number[];
  value: number[];
  gain: number[];
  cover: number[];
}

export interface GbdtModelInit {
  nFeatures: number;
  featureNames: readonly string[] | null;
  params: GbdtParams;
  baseScore: number;
  trainRows: number;
  bestIteration: number;
  metric: string;
  validHistory: readonly number[];
  trees: readonly Tree[];
  /** Huber's δ of the last round (with `huberDelta: 'auto'` the fitted one). */
  huberDeltaUsed?: number;
}

export class GbdtModel {
  readonly nFeatures: number;
  readonly featureNames: readonly string[] | null;
  readonly params: GbdtParams;
  /** Starting prediction (float32). */
  readonly baseScore: number;
  /** Rows the model was trained on. */
  readonly trainRows: number;
  /** Best round on the validation set (0-based); with early stopping the model ends there. */
  readonly bestIteration: number;
  readonly metric: string;
  /** Validation metric per round (empty when trained without a validation set). */
  readonly validHistory: readonly number[];
  readonly trees: readonly Tree[];
  /** Huber's δ of the last round (with `huberDelta: 'auto'` the fitted one); undefined for other losses. */
  readonly huberDeltaUsed: number | undefined;
  private packed: PackedForest | null = null;

  constructor(init: GbdtModelInit) {
    this.nFeatures = init.nFeatures;
    this.featureNames = init.featureNames;
    this.params = init.params;
    this.baseScore = init.baseScore;
    this.trainRows = init.trainRows;
    this.bestIteration = init.bestIteration;
    this.metric = init.metric;
    this.validHistory = init.validHistory;
    this.huberDeltaUsed = init.huberDeltaUsed;
    this.trees = init.trees;
  }

  get nTrees(): number {
    return this.trees.length;
  }

  /** Predict every row of `X` (column-major, same features in the same order as training). */
  predict(X: FeatureMatrix): Float64Array {
    checkFeatureMatrix(X, 'predict', true);
    if (X.nCols !== this.nFeatures) {
      throw new InvalidParameterError(
        `predict: the matrix has ${X.nCols} features but the model was trained on ${this.nFeatures}` +
          (this.featureNames ? ` (${this.featureNames.join(', ')})` : '') +
          '; pass the same columns in the same order',
      );
    }
    if (X.names && this.featureNames) {
      const i = X.names.findIndex((nm, k) => nm !== this.featureNames![k]);
      if (i >= 0) {
        throw new InvalidParameterError(
          `predict: column ${i} is '${X.names[i]}' but the model expects '${this.featureNames[i]}' there`,
        );
      }
    }
    if (!this.packed) this.packed = new PackedForest(this.trees);
    const out = new Float64Array(X.nRows);
    this.packed.predict(X, this.baseScore, out);
    return out;
  }

  /**
   * Feature importance: 'gain' sums each feature's split gains, 'split' counts its splits.
   * `normalize` scales the values to sum to 1 (when any is non-zero).
   */
  featureImportance(type: ImportanceType = 'gain', normalize = false): Float64Array {
    const out = new Float64Array(this.nFeatures);
    for (const t of this.trees) {
      for (let k = 0; k < t.feature.length; k++) {
        const f = t.feature[k]!;
        if (f >= 0) out[f]! += type === 'gain' ? t.gain[k]! : 1;
      }
    }
    if (normalize) {
      let s = 0;
      for (const v of out) s += v;
      if (s > 0) for (let i = 0; i < out.length; i++) out[i]! /= s;
    }
    return out;
  }

  /** Importance keyed by feature name (`f<i>` without names), highest first. */
  importanceTable(type: ImportanceType = 'gain'): { feature: string; importance: number }[] {
    const imp = this.featureImportance(type, true);
    return Array.from(imp, (v, i) => ({ feature: this.featureNames?.[i] ?? `f${i}`, importance: v })).sort(
      (a, b) => b.importance - a.importance,
    );
  }

  toJSON(): GbdtModelJSON {
    return {
      format: GBDT_FORMAT,
      formatVersion: GBDT_FORMAT_VERSION,
      nFeatures: this.nFeatures,
      featureNames: this.featureNames ? [...this.featureNames] : null,
      params: this.params,
      baseScore: this.baseScore,
      trainRows: this.trainRows,
      bestIteration: this.bestIteration,
      metric: this.metric,
      validHistory: [...this.validHistory],
      ...(this.huberDeltaUsed === undefined ? {} : { huberDeltaUsed: this.huberDeltaUsed }),
      trees: this.trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        left: Array.from(t.left),
        right: Array.from(t.right),
        defaultLeft: Array.from(t.defaultLeft),
        value: Array.from(t.value),
        gain: Array.from(t.gain),
        cover: Array.from(t.cover),
      })),
    };
  }

  /**
   * The model as the text of an XGBoost JSON model file (XGBoost 1.7's layout): save it as
   * `model.json` and `xgboost.Booster().load_model("model.json")` predicts the same values to
   * float32 precision. (XGBoost's parser wants floats written with a decimal point, hence a
   * string rather than an object.)
   */
  toXGBoostJSON(): string {
    return JSON.stringify(this.xgboostObject(), (_key, value: unknown) =>
      value instanceof XgbFloats ? `@@F[${value.values.map(formatFloat).join(',')}]@@` : value,
    ).replace(/"@@F(\[[^\]]*\])@@"/g, '$1');
  }

  private xgboostObject(): Record<string, unknown> {
    const p = this.nFeatures;
    const trees = this.trees.map((t, id) => xgboostTree(t, id, p));
    return {
      learner: {
        attributes: {},
        feature_names: this.featureNames ? [...this.featureNames] : [],
        feature_types: this.featureNames ? this.featureNames.map(() => 'float') : [],
        gradient_booster: {
          model: {
            gbtree_model_param: {
              num_parallel_tree: '1',
              num_trees: String(trees.length),
              size_leaf_vector: '0',
            },
            tree_info: new Array<number>(trees.length).fill(0),
            trees,
          },
          name: 'gbtree',
        },
        learner_model_param: {
          base_score: float32String(this.baseScore),
          boost_from_average: '1',
          num_class: '0',
          num_feature: String(p),
          num_target: '1',
        },
        objective: this.xgboostObjective(),
      },
      version: [1, 7, 4],
    };
  }

  /** The learner's `objective` for this model's loss (the Huber slope as it was trained). */
  private xgboostObjective(): Record<string, unknown> {
    if (this.params.loss === 'squared') {
      return { name: 'reg:squarederror', reg_loss_param: { scale_pos_weight: '1' } };
    }
    if (this.params.loss === 'absolute') return { name: 'reg:absoluteerror' };
    return {
      name: 'reg:pseudohubererror',
      pseudo_huber_param: {
        huber_slope: String(
          typeof this.params.huberDelta === 'number' ? this.params.huberDelta : (this.huberDeltaUsed ?? 1),
        ),
      },
    };
  }
}

/** One tree in XGBoost's JSON layout (node arrays, leaves' values in `split_conditions`). */
function xgboostTree(t: Tree, id: number, nFeatures: number): Record<string, unknown> {
  const m = t.feature.length;
  const parents = new Array<number>(m).fill(2147483647);
  for (let k = 0; k < m; k++) {
    if (t.feature[k]! >= 0) {
      parents[t.left[k]!] = k;
      parents[t.right[k]!] = k;
    }
  }
  const isLeaf = (k: number): boolean => t.feature[k]! < 0;
  return {
    base_weights: new XgbFloats(Array.from(t.value)),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: Array.from(t.defaultLeft),
    id,
    left_children: Array.from(t.left),
    loss_changes: new XgbFloats(Array.from(t.gain, (g) => Math.fround(g))),
    parents,
    right_children: Array.from(t.right),
    split_conditions: new XgbFloats(
      Array.from({ length: m }, (_, k) => (isLeaf(k) ? t.value[k]! : t.threshold[k]!)),
    ),
    split_indices: Array.from({ length: m }, (_, k) => (isLeaf(k) ? 0 : t.feature[k]!)),
    split_type: new Array<number>(m).fill(0),
    sum_hessian: new XgbFloats(Array.from(t.cover)),
    tree_param: {
      num_deleted: '0',
      num_feature: String(nFeatures),
      num_nodes: String(m),
      size_leaf_vector: '0',
    },
  };
}

/** A float array for XGBoost's JSON: integers must be written as `1.0`, not `1`. */
class XgbFloats {
  constructor(readonly values: number[]) {}
}

/** Shortest decimal that reads back as the same float32 (XGBoost's parameter parser rejects > 9 digits). */
function float32String(x: number): string {
  const f = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const s = f.toPrecision(digits);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return f.toPrecision(9);
}

function formatFloat(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e21 ? x.toFixed(1) : String(x);
}

/**
 * Fit a booster on a feature matrix, or on the row prefix `[0, opts.rows)` of an already
 * binned matrix (walk-forward: bin once, fit many prefixes; edges come from the prefix).
 * `y` has one finite target per training row (rows after the prefix are not read).
 */
export function trainGbdt(
  data: FeatureMatrix | BinnedMatrix,
  y: ArrayLike<number>,
  params: GbdtParamsInput = {},
  opts: TrainOptions = {},
): GbdtModel {
  const resolved = resolveParams(params);
  const binned = data instanceof BinnedMatrix ? data : new BinnedMatrix(data);
  const res = trainTrees(binned, y, resolved, opts);
  return new GbdtModel({
    nFeatures: binned.nCols,
    featureNames: binned.names ?? null,
    params: resolved,
    baseScore: res.baseScore,
    trainRows: res.trainRows,
    bestIteration: res.bestIteration,
    metric: res.metric,
    validHistory: res.validHistory,
    trees: res.trees,
    ...(Number.isNaN(res.huberDelta) ? {} : { huberDeltaUsed: res.huberDelta }),
  });
}

export interface ContinueOptions {
  /** End (exclusive) of the training rows of the binned matrix. Default: all rows. */
  rows?: number;
  /** First training row. Default 0. */
  from?: number;
  /**
   * The model's predictions on the training rows `[from, rows)`, when the caller has them;
   * otherwise pass `X`, the raw matrix the binned one was made from.
   */
  initScore?: Float64Array;
  X?: FeatureMatrix;
}

/**
 * Continue boosting (warm start): `extraTrees` more trees fitted to the residuals of `model`
 * on rows `[from, rows)` of `data`, with the model's parameters and bin edges from those rows.
 * Returns a new model: the old trees followed by the new ones, the old base score.
 */
export function continueGbdt(
  model: GbdtModel,
  data: BinnedMatrix,
  y: ArrayLike<number>,
  extraTrees: number,
  opts: ContinueOptions = {},
): GbdtModel {
  if (!Number.isInteger(extraTrees) || extraTrees < 1) {
    throw new InvalidParameterError(
      `continueGbdt: extraTrees must be a positive integer (got ${extraTrees})`,
    );
  }
  if (data.nCols !== model.nFeatures) {
    throw new InvalidParameterError(
      `continueGbdt: the matrix has ${data.nCols} features but the model was trained on ${model.nFeatures}`,
    );
  }
  const rows = opts.rows ?? data.nRows;
  const from = opts.from ?? 0;
  let initScore = opts.initScore;
  if (!initScore) {
    if (!opts.X)
      throw new InvalidParameterError('continueGbdt: pass initScore or X (the raw feature matrix)');
    if (opts.X.nRows !== data.nRows) {
      throw new InvalidParameterError(
        `continueGbdt: X has ${opts.X.nRows} rows but the binned matrix has ${data.nRows}`,
      );
    }
    initScore = model.predict(sliceRows(opts.X, from, rows));
  }
  const params = resolveParams({ ...model.params, nEstimators: extraTrees, earlyStoppingRounds: 0 });
  const res = trainTrees(data, y, { ...params, baseScore: model.baseScore }, { rows, from, initScore });
  return new GbdtModel({
    nFeatures: model.nFeatures,
    featureNames: model.featureNames,
    params: { ...model.params, nEstimators: model.nTrees + res.trees.length },
    baseScore: model.baseScore,
    trainRows: res.trainRows,
    bestIteration: model.nTrees + res.trees.length - 1,
    metric: model.metric,
    validHistory: [],
    trees: [...model.trees, ...res.trees],
  });
}

const num = z.number().finite();
const treeSchema = z.object({
  feature: z.array(z.number().int().min(-1)),
  threshold: z.array(num),
  left: z.array(z.number().int().min(-1)),
  right: z.array(z.number().int().min(-1)),
  defaultLeft: z.array(z.union([z.literal(0), z.literal(1)])),
  value: z.array(num),
  gain: z.array(num),
  cover: z.array(num),
});

const modelSchema = z.object({
  format: z.literal(GBDT_FORMAT),
  formatVersion: z.number().int(),
  nFeatures: z.number().int().min(1),
  featureNames: z.array(z.string()).nullable(),
  params: gbdtParamsSchema,
  baseScore: num,
  trainRows: z.number().int().min(1),
  bestIteration: z.number().int().min(0),
  metric: z.string(),
  validHistory: z.array(num),
  trees: z.array(treeSchema),
  huberDeltaUsed: num.optional(),
});

/** Load a model from its JSON form (object or string), validating structure and tree links. */
export function loadGbdt(json: unknown, source = 'GBDT model'): GbdtModel {
  const obj = typeof json === 'string' ? parseJsonText(json, source) : json;
  if (obj && typeof obj === 'object') {
    const o = obj as Record<string, unknown>;
    if (o.format !== GBDT_FORMAT) {
      throw new DataError(`${source}: format is ${JSON.stringify(o.format)}, expected '${GBDT_FORMAT}'`);
    }
    if (o.formatVersion !== GBDT_FORMAT_VERSION) {
      throw new DataError(
        `${source}: formatVersion ${JSON.stringify(o.formatVersion)} is not supported (this build reads ${GBDT_FORMAT_VERSION}); upgrade propflow or re-train`,
      );
    }
  }
  const parsed = modelSchema.safeParse(obj);
  if (!parsed.success) {
    throw new DataError(`${source}: invalid model file: ${describeIssues(parsed.error, '(root)', 5)}`);
  }
  const m = parsed.data;
  if (m.featureNames && m.featureNames.length !== m.nFeatures) {
    throw new DataError(`${source}: ${m.featureNames.length} feature names for nFeatures = ${m.nFeatures}`);
  }
  const trees: Tree[] = m.trees.map((t, ti) => {
    const n = t.feature.length;
    const where = `${source}: trees[${ti}]`;
    for (const [k, arr] of Object.entries(t)) {
      if (arr.length !== n) throw new DataError(`${where}.${k} has ${arr.length} entries, feature has ${n}`);
    }
    if (n === 0) throw new DataError(`${where} has no nodes`);
    for (let k = 0; k < n; k++) {
      const f = t.feature[k]!;
      if (f >= m.nFeatures)
        throw new DataError(`${where}.feature[${k}] = ${f} but nFeatures = ${m.nFeatures}`);
      if (f >= 0) {
        const l = t.left[k]!;
        const r = t.right[k]!;
        if (!(l > k && l < n && r > k && r < n)) {
          throw new DataError(
            `${where}: node ${k} has children ${l}, ${r}; they must follow it and be < ${n}`,
          );
        }
      }
    }
    return {
      feature: Int32Array.from(t.feature),
      threshold: Float32Array.from(t.threshold),
      left: Int32Array.from(t.left),
      right: Int32Array.from(t.right),
      defaultLeft: Uint8Array.from(t.defaultLeft),
      value: Float32Array.from(t.value),
      gain: Float64Array.from(t.gain),
      cover: Float64Array.from(t.cover),
    };
  });
  return new GbdtModel({
    nFeatures: m.nFeatures,
    featureNames: m.featureNames,
    params: m.params,
    baseScore: m.baseScore,
    trainRows: m.trainRows,
    bestIteration: m.bestIteration,
    metric: m.metric,
    ...(m.huberDeltaUsed === undefined ? {} : { huberDeltaUsed: m.huberDeltaUsed }),
    validHistory: m.validHistory,
    trees,
  });
}
