import type { Command } from 'commander';

/** Exit code when a check failed (the CLI's "a check that failed"). */
export const DOCTOR_FAILED_EXIT_CODE = 3;

const MARK = { ok: '✓', warn: '!', fail: '✗', skip: '-' } as const;

/** `propflow doctor`: what works and what does not on a tracking store or server. */
export function define(program: Command): void {
  program
    .command('doctor')
    .description(
      'check a tracking store or MLflow server: reachable, MLflow version, auth, artifact proxy, stages, aliases, logged models, a write-read-delete round trip (in a scratch experiment, deleted after)',
    )
    .option(
      '--tracking-uri <uri>',
      'store to check (default: MLFLOW_TRACKING_URI, else sqlite:///propflow/tracking.db)',
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: { trackingUri?: string; json?: boolean }) => {
      const { resolveTrackingUri, runDoctor } = await import('../../tracking/index.js');
      const uri = resolveTrackingUri(flags.trackingUri);
      process.stderr.write(`store: ${uri}\n`);
      const report = await runDoctor(uri);
      if (flags.json) {
        const { printJson } = await import('../output.js');
        printJson({ store: report.store, kind: report.kind, ok: report.ok, checks: report.checks });
      } else {
        const width = Math.max(...report.checks.map((c) => c.check.length));
        for (const c of report.checks) {
          process.stdout.write(`${MARK[c.status]} ${c.check.padEnd(width)}  ${c.detail}\n`);
        }
        const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.check);
        process.stdout.write(
          failed.length === 0
            ? `All checks passed on ${report.store}.\n`
            : `${failed.length} check${failed.length > 1 ? 's' : ''} failed: ${failed.join(', ')}.\n`,
        );
      }
      if (!report.ok) process.exitCode = DOCTOR_FAILED_EXIT_CODE;
    });
}
