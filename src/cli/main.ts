/**
 * The propflow command line: a thin layer over the library. Each command file declares its
 * commands and options as data and imports the heavy modules only inside its action.
 */
import { Command, CommanderError } from 'commander';
import { PropflowError } from '../errors.js';
import { formatError } from './output.js';

/** The command files, each adding its commands to the program. */
const COMMANDS: ReadonlyArray<() => Promise<{ define(program: Command): void }>> = [
  () => import('./commands/demo.js'),
  () => import('./commands/data.js'),
  () => import('./commands/server.js'),
  () => import('./commands/registry.js'),
  () => import('./commands/serve.js'),
  () => import('./commands/monitor.js'),
];

/** Build the parser (exported so tests can parse without running anything). */
export async function buildProgram(): Promise<Command> {
  const program = new Command('propflow')
    .description(
      'NBA player-props modelling: data, features, walk-forward validation, tracking, registry, serving',
    )
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const load of COMMANDS) (await load()).define(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`${formatError(err)}\n`);
    process.exitCode = err instanceof PropflowError && err.status < 500 ? 2 : 1;
  }
}
