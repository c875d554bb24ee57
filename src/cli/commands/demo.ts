import type { Command } from 'commander';

/** `propflow demo`: the zero-setup path (`npm start`). */
export function define(program: Command): void {
  program
    .command('demo')
    .description('run the end-to-end demo on a synthetic league (what `npm start` runs)')
    .action(() => {
      process.stdout.write(
        [
          'The end-to-end demo needs the training pipelines, which are not built yet.',
          'Available now: see `npx propflow --help`; the test suite runs with `npm test`.',
          '',
        ].join('\n'),
      );
    });
}
