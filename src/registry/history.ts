/**
 * The audit history of a registered model, kept with MLflow primitives only so it lives on
 * any MLflow server.
 *
 * Storage. Every event is written twice:
 *  - as a param `propflow.history.<seq>` of a *ledger run* (experiment
 *    `propflow-registry-ledger`, run id in the model tag `propflow.ledger_run_id`). MLflow
 *    params are immutable: logging an existing key with another value fails on every
 *    MLflow store (a primary key in the SQL store). That makes "claim sequence number N"
 *    an atomic create-if-absent operation that needs no lock — two writers can never both
 *    get N, and no event is ever rewritten.
 *  - as a tag `propflow.history.<seq>` on the registered model, so the history is visible
 *    next to the model in any MLflow UI. The ledger is the source of truth; a missing mirror
 *    tag is written again on the next change.
 *
 * Decisions (`promote`, `rollback`) are claimed at exactly "last seen seq + 1": if anyone
 * claimed that number first, the decision is recomputed from the newer history. Decisions
 * are therefore totally ordered, and the later one wins (see `replay`).
 */
import { randomUUID } from 'node:crypto';
import { InvalidParameterError, PropflowError } from '../errors.js';
import type { ModelStage, RegisteredModel, TrackingStore } from '../tracking/index.js';
import { backoff, isAlreadyExists, isNotFound } from './util.js';

export const LEDGER_EXPERIMENT = 'propflow-registry-ledger';
export const LEDGER_TAG = 'propflow.ledger_run_id';
export const LEDGER_MODEL_TAG = 'propflow.ledger.model';
export const HISTORY_PREFIX = 'propflow.history.';
const HISTORY_KEY = /^propflow\.history\.(\d+)$/;
const SEQ_WIDTH = 6;
/** Longest reason kept in an event (events must fit MLflow's 5000-character registry tag values). */
export const MAX_REASON_LENGTH = 1000;

export type HistoryAction =
  | 'register'
  | 'evaluate'
  | 'promote'
  | 'rollback'
  | 'transition'
  | 'set_alias'
  | 'delete_alias'
  | 'outcome';

/** How a decision ended: carried out, or overtaken by a later decision before it was. */
export type DecisionOutcome = 'carried_out' | 'superseded';

/**
 * One audit event. `promote` and `rollback` are decisions: `from` is the version's stage when
 * it was decided, `to` the stage decided. Every actual change is its own event, recorded
 * after it happened and only once: `transition` (`from`/`to` stages of `version`),
 * `set_alias`/`delete_alias` (`to` the alias, `from` the version that held it before, as
 * the history had it). Every decision gets one `outcome` event (`to` = `carried_out` or
 * `superseded`, `decision` = the decision's seq). `evaluate` has `to` = PASSED/FAILED.
 */
export interface HistoryEvent {
  seq: number;
  /** ISO-8601, UTC. */
  time: string;
  actor: string;
  action: HistoryAction;
  version: string | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  /** The decision (seq) this event carries out or closes, for changes and outcomes. */
  decision?: number;
}

export type NewEvent = Omit<HistoryEvent, 'seq' | 'time' | 'actor'>;

/** Raised internally when a sequence number was claimed by someone else first. */
export class SeqConflictError extends PropflowError {
  constructor(readonly seq: number) {
    super(`History sequence number ${seq} was claimed concurrently.`, 'RESOURCE_CONFLICT');
  }
}

export function historyKey(seq: number): string {
  return HISTORY_PREFIX + String(seq).padStart(SEQ_WIDTH, '0');
}

interface StoredEvent extends HistoryEvent {
  /** Random id that makes every stored value unique (so a retried write is recognisable). */
  id: string;
}

const ACTIONS = new Set<string>([
  'register',
  'evaluate',
  'promote',
  'rollback',
  'transition',
  'set_alias',
  'delete_alias',
  'outcome',
]);

function parseStored(key: string, value: string): StoredEvent | null {
  const m = HISTORY_KEY.exec(key);
  if (!m) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : v == null ? null : String(v));
  if (typeof r['action'] !== 'string' || !ACTIONS.has(r['action'])) return null;
  const decision = typeof r['decision'] === 'number' ? r['decision'] : undefined;
  return {
    ...(decision !== undefined && { decision }),
    seq: Number(m[1]),
    time: str(r['time']) ?? '',
    actor: str(r['actor']) ?? '',
    action: r['action'] as HistoryAction,
    version: str(r['version']),
    from: str(r['from']),
    to: str(r['to']),
    reason: str(r['reason']),
    id: str(r['id']) ?? '',
  };
}

function serialize(event: StoredEvent): string {
  const { seq: _seq, ...rest } = event;
  return JSON.stringify(rest);
}

function publicEvent(e: StoredEvent): HistoryEvent {
  return {
    ...(e.decision !== undefined && { decision: e.decision }),
    seq: e.seq,
    time: e.time,
    actor: e.actor,
    action: e.action,
    version: e.version,
    from: e.from,
    to: e.to,
    reason: e.reason,
  };
}

/** MLflow answers a changed param with INVALID_PARAMETER_VALUE; some stores say "exists". */
function isConflictCode(err: unknown): boolean {
  return (err instanceof PropflowError && err.code === 'INVALID_PARAMETER_VALUE') || isAlreadyExists(err);
}

/** Reads and appends the history of one registered model. */
export class Ledger {
  private constructor(
    private readonly store: TrackingStore,
    readonly modelName: string,
    /** The ledger run, or null when the model has no ledger yet (read-only use). */
    readonly runId: string | null,
    private readonly actor: string,
  ) {}

  /** The ledger of a model for reading; never writes. */
  static async forReading(store: TrackingStore, model: RegisteredModel, actor: string): Promise<Ledger> {
    const runId = ledgerRunId(model) ?? null;
    return new Ledger(store, model.name, runId, actor);
  }

  /**
   * The ledger of a model for writing, set up on first use with a guarantee built only on
   * MLflow's atomic create-if-absent of a registered model name (RESOURCE_ALREADY_EXISTS for
   * everyone but the first), so any number of clients setting it up at once agree on one
   * ledger run:
   *  - a model that does not exist yet (`create` given) is created WITH the ledger tag in the
   *    same request; whoever loses the creation reads the winner's tag;
   *  - a model that exists without a ledger (made by another tool) gets a pointer model
   *    `<name>.propflow-ledger` created with the tag; the pointer's creator chooses the run,
   *    everyone copies its tag onto the model.
   * A loser deletes the run it made before anything was written to it.
   */
  static async forWriting(
    store: TrackingStore,
    modelName: string,
    actor: string,
    create?: { description: string },
  ): Promise<Ledger> {
    let model = await getModelOrNull(store, modelName);
    if (model === null) {
      if (!create)
        throw new PropflowError(`Registered model '${modelName}' does not exist.`, 'RESOURCE_DOES_NOT_EXIST');
      const mine = await createLedgerRun(store, modelName, actor);
      try {
        await store.createRegisteredModel(modelName, {
          description: create.description,
          tags: [{ key: LEDGER_TAG, value: mine }],
        });
        return new Ledger(store, modelName, mine, actor);
      } catch (err) {
        await store.deleteRun(mine).catch(() => undefined);
        if (!isAlreadyExists(err)) throw err;
      }
      model = await store.getRegisteredModel(modelName);
    }
    const existing = ledgerRunId(model);
    if (existing && (await ledgerRunUsable(store, existing)))
      return new Ledger(store, modelName, existing, actor);
    const runId = await pointerLedger(store, modelName, actor, existing);
    if (runId !== existing) await store.setRegisteredModelTag(modelName, LEDGER_TAG, runId);
    return new Ledger(store, modelName, runId, actor);
  }

  /** All events, oldest first: the ledger's params merged with the model's mirror tags. */
  async read(): Promise<HistoryEvent[]> {
    return (await this.readStored()).events.map(publicEvent);
  }

  private async readStored(): Promise<{ events: StoredEvent[]; mirrored: Set<number> }> {
    const bySeq = new Map<number, StoredEvent>();
    const mirrored = new Set<number>();
    const model = await this.store.getRegisteredModel(this.modelName);
    for (const tag of model.tags) {
      const e = parseStored(tag.key, tag.value);
      if (e) {
        bySeq.set(e.seq, e);
        mirrored.add(e.seq);
      }
    }
    if (this.runId) {
      const run = await this.store.getRun(this.runId);
      for (const param of run.data.params) {
        const e = parseStored(param.key, param.value);
        if (e) bySeq.set(e.seq, e); // the ledger wins over a mirror tag
      }
    }
    const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    return { events, mirrored };
  }

  /** Highest sequence number in use (0 when the history is empty). */
  static lastSeq(events: readonly HistoryEvent[]): number {
    return events.length === 0 ? 0 : events[events.length - 1]!.seq;
  }

  /**
   * Append an event. With `expectSeq` the event must get exactly that number, else a
   * `SeqConflictError` is thrown (the caller recomputes its decision). Without it the next
   * free number is taken, retrying on conflict.
   */
  async append(event: NewEvent, options: { expectSeq?: number } = {}): Promise<HistoryEvent> {
    if (!this.runId) throw new PropflowError(`The history of '${this.modelName}' was opened read-only.`);
    if (event.reason !== null && event.reason.length > MAX_REASON_LENGTH) {
      throw new InvalidParameterError(
        `Reason is ${event.reason.length} characters; keep it under ${MAX_REASON_LENGTH} (put details in a linked document).`,
      );
    }
    const stored: Omit<StoredEvent, 'seq'> = {
      time: new Date().toISOString(),
      actor: this.actor,
      ...event,
      id: randomUUID(),
    };
    if (options.expectSeq !== undefined) {
      return await this.claimAndMirror({ ...stored, seq: options.expectSeq });
    }
    for (let attempt = 0; attempt < 100; attempt++) {
      const { events, mirrored } = await this.readStored();
      await this.repairMirrors(events, mirrored);
      try {
        return await this.claimAndMirror({ ...stored, seq: Ledger.lastSeq(events) + 1 });
      } catch (err) {
        if (!(err instanceof SeqConflictError)) throw err;
        await backoff(attempt);
      }
    }
    throw new PropflowError(
      `Could not append to the history of '${this.modelName}': too many concurrent writers. Try again.`,
      'ABORTED',
    );
  }

  /**
   * Record a change only if it is one: `compute` gets the whole history (freshly read) and
   * returns the event that makes the history match what is there now, or null when the
   * history already says so. The event is claimed at exactly "last seq + 1" of that read, so
   * two writers observing the same change record it once: the second one's claim fails,
   * it reads again, and `compute` then finds it recorded.
   */
  async recordIfChanged(
    compute: (events: readonly HistoryEvent[]) => Promise<NewEvent | null>,
  ): Promise<HistoryEvent | null> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const { events, mirrored } = await this.readStored();
      await this.repairMirrors(events, mirrored);
      const event = await compute(events.map(publicEvent));
      if (event === null) return null;
      try {
        return await this.append(event, { expectSeq: Ledger.lastSeq(events) + 1 });
      } catch (err) {
        if (!(err instanceof SeqConflictError)) throw err;
        await backoff(attempt);
      }
    }
    throw new PropflowError(
      `Could not record a change in the history of '${this.modelName}': too many concurrent writers. Try again.`,
      'ABORTED',
    );
  }

  /** Write mirror tags for ledger events that lack one (a writer stopped between the two writes). */
  private async repairMirrors(events: readonly StoredEvent[], mirrored: ReadonlySet<number>): Promise<void> {
    for (const e of events) {
      if (!mirrored.has(e.seq)) await this.mirror(e);
    }
  }

  /** Claim the event's sequence number in the ledger, then mirror it on the model. */
  private async claimAndMirror(event: StoredEvent): Promise<HistoryEvent> {
    await this.claim(event);
    await this.mirror(event);
    return publicEvent(event);
  }

  private async claim(event: StoredEvent): Promise<void> {
    const key = historyKey(event.seq);
    const value = serialize(event);
    try {
      await this.store.logParam(this.runId!, { key, value });
    } catch (err) {
      if (!isConflictCode(err)) throw err;
      const run = await this.store.getRun(this.runId!);
      const current = run.data.params.find((p) => p.key === key);
      if (current && current.value === value) return; // our own earlier attempt got through
      if (current) throw new SeqConflictError(event.seq);
      throw err;
    }
  }

  private async mirror(event: StoredEvent): Promise<void> {
    await this.store.setRegisteredModelTag(this.modelName, historyKey(event.seq), serialize(event));
  }
}

/** The ledger run id the model's tag names, if any. */
function ledgerRunId(model: RegisteredModel): string | undefined {
  return model.tags.find((t) => t.key === LEDGER_TAG)?.value;
}

async function ledgerRunUsable(store: TrackingStore, runId: string): Promise<boolean> {
  try {
    const run = await store.getRun(runId);
    return run.info.lifecycleStage === 'active';
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export const LEDGER_POINTER_SUFFIX = '.propflow-ledger';
/** Tag on a pointer model naming the model whose ledger it points at. */
export const LEDGER_POINTER_TAG = 'propflow.ledger.pointer_for';

async function getModelOrNull(store: TrackingStore, name: string): Promise<RegisteredModel | null> {
  try {
    return await store.getRegisteredModel(name);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

async function createLedgerRun(store: TrackingStore, modelName: string, actor: string): Promise<string> {
  const experimentId = await ledgerExperiment(store);
  const run = await store.createRun({
    experimentId,
    runName: `ledger-${modelName}`.slice(0, 250),
    userId: actor,
    tags: [
      { key: LEDGER_MODEL_TAG, value: modelName },
      {
        key: 'mlflow.note.content',
        value: `Audit history of registered model '${modelName}' (propflow registry). Do not delete.`,
      },
    ],
  });
  // Params can be logged to a finished run (MLflow checks only that it is not deleted), so
  // the ledger does not show up as a run that never ended.
  await store.updateRun(run.info.runId, { status: 'FINISHED', endTime: Date.now() });
  return run.info.runId;
}

/**
 * The ledger run of a model that exists without a usable ledger tag, settled by creating the
 * pointer model `<name>.propflow-ledger` (atomic: one creator). Its creator reuses the
 * model's earlier ledger run when one with history is found, else makes a new run.
 */
async function pointerLedger(
  store: TrackingStore,
  modelName: string,
  actor: string,
  stale: string | undefined,
): Promise<string> {
  const pointer = `${modelName}${LEDGER_POINTER_SUFFIX}`;
  const read = async (): Promise<string | null> => {
    const m = await getModelOrNull(store, pointer);
    const id = m ? ledgerRunId(m) : undefined;
    return id && (await ledgerRunUsable(store, id)) ? id : null;
  };
  const known = await read();
  if (known) return known;
  if (await getModelOrNull(store, pointer)) {
    throw new PropflowError(
      `The ledger pointer model '${pointer}' names no usable ledger run; restore its run or delete '${pointer}' and run the command again.`,
      'INVALID_STATE',
    );
  }
  const reused = stale === undefined ? null : await findLedgerRun(store, modelName);
  const candidate = reused ?? (await createLedgerRun(store, modelName, actor));
  try {
    await store.createRegisteredModel(pointer, {
      description: `Points at the audit history of '${modelName}' (propflow registry). Do not delete.`,
      tags: [
        { key: LEDGER_TAG, value: candidate },
        { key: LEDGER_POINTER_TAG, value: modelName },
      ],
    });
    return candidate;
  } catch (err) {
    if (reused === null) await store.deleteRun(candidate).catch(() => undefined);
    if (!isAlreadyExists(err)) throw err;
  }
  const winner = await read();
  if (!winner)
    throw new PropflowError(`The ledger pointer '${pointer}' names no usable run.`, 'INVALID_STATE');
  return winner;
}

/** An active ledger run of the model holding history params, if any (the one with most events). */
async function findLedgerRun(store: TrackingStore, modelName: string): Promise<string | null> {
  const exp = await store.getExperimentByName(LEDGER_EXPERIMENT);
  if (!exp) return null;
  const escaped = modelName.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const page = await store.searchRuns({
    experimentIds: [exp.experimentId],
    filter: `tags.\`${LEDGER_MODEL_TAG}\` = '${escaped}'`,
    maxResults: 100,
  });
  let best: { id: string; n: number } | null = null;
  for (const run of page.items) {
    const n = run.data.params.filter((p) => HISTORY_KEY.test(p.key)).length;
    if (n > 0 && (best === null || n > best.n)) best = { id: run.info.runId, n };
  }
  return best?.id ?? null;
}

async function ledgerExperiment(store: TrackingStore): Promise<string> {
  const found = await store.getExperimentByName(LEDGER_EXPERIMENT);
  if (found) {
    if (found.lifecycleStage === 'deleted') await store.restoreExperiment(found.experimentId);
    return found.experimentId;
  }
  try {
    return await store.createExperiment(LEDGER_EXPERIMENT, {
      tags: [{ key: 'mlflow.note.content', value: 'Audit histories of propflow registered models.' }],
    });
  } catch (err) {
    if (!isConflictCode(err)) throw err;
    const again = await store.getExperimentByName(LEDGER_EXPERIMENT);
    if (!again) throw err;
    return again.experimentId;
  }
}

// ── replay: what the decisions in the history say the registry should look like ──────────

export interface Holder {
  version: string;
  /** The decision event that made this version the holder. */
  event: HistoryEvent;
}

export interface ReplayedState {
  /** The version that holds Production by the latest decision, if any decision gave it. */
  production: Holder | null;
  /** The version in Staging by the latest decision, if it has not moved on since. */
  staging: Holder | null;
  /**
   * Production versions a rollback can return to, oldest first; the last entry is the
   * current Production version. A rollback pops the current one.
   */
  productionStack: string[];
}

/** Replay the decisions (`promote`, `rollback`) in sequence order. */
export function replay(events: readonly HistoryEvent[]): ReplayedState {
  let production: Holder | null = null;
  let staging: Holder | null = null;
  let stack: string[] = [];
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  // A decision overtaken before it was carried out never held its stage.
  const superseded = new Set(
    sorted.flatMap((e) =>
      e.action === 'outcome' && e.to === 'superseded' && e.decision ? [e.decision] : [],
    ),
  );
  for (const e of sorted) {
    if (e.version === null || superseded.has(e.seq)) continue;
    if (e.action === 'promote') {
      const to = e.to as ModelStage | null;
      if (staging && staging.version === e.version && to !== 'Staging') staging = null;
      if (to === 'Production') {
        production = { version: e.version, event: e };
        if (stack[stack.length - 1] !== e.version) stack.push(e.version);
      } else if (to === 'Staging') {
        staging = { version: e.version, event: e };
      }
      if (production && production.version === e.version && to !== 'Production') {
        production = null;
        stack = stack.slice(0, -1);
      }
    } else if (e.action === 'rollback') {
      if (staging && staging.version === e.version) staging = null;
      stack = stack.slice(0, -1);
      const at = stack.lastIndexOf(e.version);
      if (at >= 0) stack = stack.slice(0, at + 1);
      else stack.push(e.version);
      production = { version: e.version, event: e };
    }
  }
  return { production, staging, productionStack: stack };
}
