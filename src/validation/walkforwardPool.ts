/**
 * Walk-forward folds across worker threads. The data goes to shared memory once; each worker
 * takes the next task from one queue (largest first) when it finishes one, so the threads
 * stay busy. Runs from TypeScript sources too (tsx, vitest): see `workerEntry`.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FoldData, FoldOutput, Task } from './walkforwardCore.js';
import { shareFoldData } from './walkforwardShared.js';
import type { WorkerMessage } from './walkforwardWorker.js';

/**
 * How to start a worker: the compiled `.js` entry directly, or for the `.ts` sources a small
 * bootstrap that registers tsx's loader in the new thread and then imports the entry (a
 * loader registered in the main thread, or given as `--import` in the worker's execArgv,
 * does not reach worker threads on Node 20).
 */
function workerEntry(): { entry: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!/\.ts$/.test(new URL(here).pathname))
    return { entry: new URL('./walkforwardWorker.js', here), eval: false };
  const tsxDir = path.dirname(createRequire(here).resolve('tsx/package.json'));
  const api = pathToFileURL(path.join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const worker = new URL('./walkforwardWorker.ts', here).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); }).catch((e) => { setImmediate(() => { throw e; }); });`;
  return { entry: code, eval: true };
}

function workerError(msg: Extract<WorkerMessage, { type: 'error' }>): Error {
  const e = new Error(msg.message);
  e.name = msg.name;
  if (msg.stack) e.stack = msg.stack;
  return e;
}

/**
 * Run `tasks` on `nWorkers` threads; `onFold` gets every fold as it arrives. Resolves when all
 * tasks are done; on the first failure every worker is stopped and the promise rejects.
 */
export async function runInWorkers(
  data: FoldData,
  tasks: readonly Task[],
  nWorkers: number,
  onFold: (out: FoldOutput) => void,
): Promise<void> {
  const { entry, eval: isEval } = workerEntry();
  const sharedData = shareFoldData(data);
  const queue = [...tasks];
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = tasks.length;
      let failed = false;
      const fail = (e: unknown): void => {
        if (failed) return;
        failed = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      const next = (w: Worker): void => {
        const task = queue.shift();
        if (task) w.postMessage(task);
      };
      for (let i = 0; i < nWorkers; i++) {
        const w = new Worker(entry, { workerData: sharedData, eval: isEval });
        workers.push(w);
        w.on('message', (msg: WorkerMessage) => {
          if (failed) return;
          try {
            if (msg.type === 'fold')
              onFold({ index: msg.index, pred: msg.pred, trainSeconds: msg.trainSeconds });
            else if (msg.type === 'done') {
              pending--;
              if (pending === 0) resolve();
              else next(w);
            } else fail(workerError(msg));
          } catch (e) {
            fail(e);
          }
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (pending > 0)
            fail(new Error(`a walk-forward worker stopped (exit code ${code}) before its work was done`));
        });
        next(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
