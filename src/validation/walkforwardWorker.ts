/**
 * A walk-forward worker thread: receives the shared data once (`workerData`), then tasks one
 * at a time; posts each fitted fold (predictions transferred, not copied) and `done` per task.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTask, type Task } from './walkforwardCore.js';
import { foldDataFromShared, type SharedFoldData } from './walkforwardShared.js';

/** Messages to the main thread. */
export type WorkerMessage =
  | { type: 'fold'; index: number; pred: Float64Array; trainSeconds: number }
  | { type: 'done'; task: number }
  | { type: 'error'; message: string; name: string; stack: string | undefined };

const port = parentPort;
if (!port) throw new Error('walkforwardWorker runs as a worker thread (started by runWalkForward)');
const data = foldDataFromShared(workerData as SharedFoldData);

port.on('message', (task: Task) => {
  try {
    runTask(data, task, (out) => {
      const msg: WorkerMessage = { type: 'fold', ...out };
      port.postMessage(msg, [out.pred.buffer as ArrayBuffer]);
    });
    port.postMessage({ type: 'done', task: task.id } satisfies WorkerMessage);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    port.postMessage({
      type: 'error',
      message: err.message,
      name: err.name,
      stack: err.stack,
    } satisfies WorkerMessage);
  }
});
