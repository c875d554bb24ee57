/**
 * A child process for the signal tests (src/tracking/fluent.signal.test.ts): starts a run on
 * the store named by argv[2], prints `started <run id>`, then logs a metric every few
 * milliseconds until it is killed. With argv[3] = 'throw' it fails through the command line
 * path instead (the run must end FAILED).
 */
import { endActiveRuns, startRun } from '../index.js';

const uri = process.argv[2] ?? 'sqlite:///propflow/tracking.db';
const run = await startRun({ trackingUri: uri, experimentName: 'signals', runName: 'long-job' });
await run.logParam('kind', 'signal-test');
let step = 0;
run.logMetric('loss', 1, step);
await run.flush();
process.stdout.write(`started ${run.runId}\n`);
if (process.argv[3] === 'throw') {
  // What src/cli/main.ts does when a command throws.
  await endActiveRuns('FAILED');
  process.exitCode = 1;
} else {
  setInterval(() => {
    step += 1;
    run.logMetric('loss', 1 / (step + 1), step); // buffered: flushed when the run is ended
  }, 5);
}
