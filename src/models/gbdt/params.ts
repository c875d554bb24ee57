/** Boosting parameters: one options object with documented defaults, validated by zod. */
import { z } from 'zod';
import { InvalidParameterError } from '../../errors.js';
import { describeIssues } from '../json.js';

export const LOSSES = ['squared', 'absolute', 'huber'] as const;
export type Loss = (typeof LOSSES)[number];

export const gbdtParamsSchema = z.strictObject({
  /** Loss: squared error, absolute error (leaf values = median residual) or Huber. Default squared. */
  loss: z.enum(LOSSES).default('squared'),
  /**
   * Huber's δ: residuals beyond it get a constant gradient. Default `'auto'`: scale-aware, the
   * `huberQuantile` quantile of the absolute residuals, recomputed every round (Friedman's
   * M-regression). A fixed δ of 1 caps each leaf at learning rate × 1 point and underfits a
   * target of PRA's scale.
   */
  huberDelta: z.union([z.number().positive(), z.literal('auto')]).default('auto'),
  /** With `huberDelta: 'auto'`, the quantile of |residual| used as δ (0 < q < 1). Default 0.5. */
  huberQuantile: z.number().gt(0).lt(1).default(0.5),
  /** Shrinkage applied to every leaf value. Default 0.1. */
  learningRate: z.number().positive().max(1).default(0.1),
  /** Boosting rounds (trees). Default 100. */
  nEstimators: z.number().int().min(1).max(100_000).default(100),
  /** Depth limit; 0 = none (then `numLeaves` must bound the tree). Default 6. */
  maxDepth: z.number().int().min(0).max(64).default(6),
  /** Leaf limit; 0 = none. With `growPolicy: 'lossguide'` the best leaf is split first. Default 0. */
  numLeaves: z
    .number()
    .int()
    .min(0)
    .max(1 << 16)
    .default(0),
  /** 'depthwise' splits level by level (XGBoost's default); 'lossguide' splits the best leaf first (LightGBM). */
  growPolicy: z.enum(['depthwise', 'lossguide']).default('depthwise'),
  /** Minimum rows in each child. Default 1. */
  minChildSamples: z.number().int().min(1).default(1),
  /** Minimum hessian sum in each child (unit hessians: also a row count, as XGBoost's `min_child_weight`). Default 1. */
  minChildWeight: z.number().min(0).default(1),
  /** L2 regularisation on leaf values (XGBoost's `lambda`). Default 1. */
  lambda: z.number().min(0).default(1),
  /** A split must gain more than this (XGBoost's `gamma`). Default 0. */
  minSplitGain: z.number().min(0).default(0),
  /** Fraction of rows sampled (without replacement, Bernoulli) for each tree. Default 1. */
  subsample: z.number().gt(0).max(1).default(1),
  /** Fraction of features sampled for each tree. Default 1. */
  colsampleByTree: z.number().gt(0).max(1).default(1),
  /** Bins per feature including the missing-value bin (≤ 255 value bins). Default 256. */
  maxBin: z.number().int().min(3).max(256).default(256),
  /** Seed for row and column sampling. Default 0. */
  seed: z.number().int().default(0),
  /** Stop when the validation metric has not improved for this many rounds; 0 = off. Default 0. */
  earlyStoppingRounds: z.number().int().min(0).default(0),
  /** Starting prediction; default: mean (squared, Huber) or median (absolute) of the training target. */
  baseScore: z.number().finite().optional(),
});

export type GbdtParams = z.output<typeof gbdtParamsSchema>;
export type GbdtParamsInput = z.input<typeof gbdtParamsSchema>;

/** Fill defaults and validate; errors name the parameter. */
export function resolveParams(input: GbdtParamsInput = {}): GbdtParams {
  const parsed = gbdtParamsSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidParameterError(`invalid GBDT parameters: ${describeIssues(parsed.error, '(params)')}`);
  }
  const p = parsed.data;
  if (p.maxDepth === 0 && p.numLeaves === 0) {
    throw new InvalidParameterError(
      'invalid GBDT parameters: maxDepth = 0 (unlimited) needs numLeaves > 0 to bound the trees',
    );
  }
  return p;
}
