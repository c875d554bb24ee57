/**
 * Child process of the concurrency test: logs metric batches through the REST store (or,
 * with `--direct <db>`, straight into the same SQLite file) and exits 0 when done.
 * argv: <tracking uri> <run id> <worker> <batches> <points per batch>
 */
import { openStore } from '../../src/tracking/index.js';

const [uri, runId, worker, batches, perBatch] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const store = await openStore(uri, { retry: { maxRetries: 8, baseDelayMs: 20 }, env: {} });
try {
  for (let b = 0; b < Number(batches); b++) {
    const metrics = Array.from({ length: Number(perBatch) }, (_, i) => ({
      key: `w${worker}`,
      value: b * Number(perBatch) + i,
      timestamp: 1_700_000_000_000 + b,
      step: b * Number(perBatch) + i,
    }));
    await store.logBatch(runId, { metrics, params: [{ key: `w${worker}_b${b}`, value: String(b) }] });
  }
} finally {
  await store.close();
}
