/**
 * The propflow command line: a thin layer over the library. Each command file declares its
 * commands and options as data and imports the heavy modules only inside its action.
 * The conventions (exit codes, `--json` errors, help layout, usage-error hints) are set here
 * once for every command; the helpers commands call are in `output.ts`.
 */
import { Command, type Option } from 'commander';
import { PROPFLOW_VERSION } from '../config.js';
import {
  EXIT_CODES_HELP,
  errorJson,
  exitCodeFor,
  formatError,
  guardStdoutPipe,
  printJson,
} from './output.js';

/** The command files, each adding its commands to the program. */
const COMMANDS: ReadonlyArray<() => Promise<{ define(program: Command): void }>> = [
  () => import('./commands/demo.js'),
  () => import('./commands/data.js'),
  () => import('./commands/server.js'),
  () => import('./commands/registry.js'),
  () => import('./commands/train.js'),
  () => import('./commands/validate.js'),
  () => import('./commands/runs.js'),
  () => import('./commands/experiments.js'),
  () => import('./commands/doctor.js'),
  () => import('./commands/serve.js'),
  () => import('./commands/monitor.js'),
  () => import('./commands/ci.js'),
];

/** Option help: `(required)` for mandatory options, defaults as plain values (`(default: 5000)`). */
function optionDescription(option: Option): string {
  const extra: string[] = [];
  if (option.mandatory) extra.push('required');
  if (option.argChoices) extra.push(`one of: ${option.argChoices.join(', ')}`);
  if (option.defaultValueDescription !== undefined) extra.push(`default: ${option.defaultValueDescription}`);
  else if (option.defaultValue !== undefined && option.defaultValue !== false && !option.negate)
    extra.push(`default: ${String(option.defaultValue)}`);
  if (option.envVar !== undefined) extra.push(`env: ${option.envVar}`);
  return extra.length ? `${option.description} (${extra.join('; ')})` : option.description;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Every command below `cmd`, itself included. */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c as Command))];
}

/** Build the parser (exported so tests can parse without running anything). */
export async function buildProgram(options: { json?: boolean } = {}): Promise<Command> {
  const program = new Command('propflow')
    .description(
      'NBA player-props modelling: data, features, walk-forward validation, tracking, registry, serving',
    )
    .version(PROPFLOW_VERSION)
    .exitOverride()
    .configureHelp({ optionDescription, sortSubcommands: false })
    .configureOutput({
      // With --json the error goes to stdout as JSON (printed by main), not as text on stderr.
      writeErr: (s) => {
        if (!options.json) process.stderr.write(s);
      },
      outputError: (s, write) => write(s),
    });
  program.addHelpText('afterAll', `\n${EXIT_CODES_HELP}\n`);
  for (const load of COMMANDS) (await load()).define(program);
  // A usage error prints one line and where to read more, not the whole help.
  for (const cmd of allCommands(program)) {
    cmd.exitOverride();
    cmd.showHelpAfterError(`(run '${commandPath(cmd)} --help' for usage)`);
  }
  return program;
}

/** `propflow help registry promote` → `propflow registry promote --help` (commander shows only the first level). */
function rewriteHelp(argv: string[]): string[] {
  const [node = '', script = '', first, ...rest] = argv;
  if (first === 'help' && rest.length > 0 && rest.every((a) => !a.startsWith('-')))
    return [node, script, ...rest, '--help'];
  return argv;
}

export async function main(argv: string[]): Promise<void> {
  guardStdoutPipe(); // help and output piped into `head` end quietly
  const json = argv.slice(2).includes('--json');
  const program = await buildProgram({ json });
  try {
    await program.parseAsync(rewriteHelp(argv));
  } catch (err) {
    const code = exitCodeFor(err);
    process.exitCode = code;
    if (code === 0) return;
    // A run the failed command started is ended FAILED, never left RUNNING.
    const { endActiveRuns } = await import('../tracking/index.js');
    const ended = await endActiveRuns('FAILED');
    if (ended.length > 0 && !json) process.stderr.write(`run ${ended.join(', ')} ended FAILED.\n`);
    if (json) printJson(errorJson(err));
    else if (!(err instanceof Error && (err as { code?: string }).code?.startsWith('commander.')))
      process.stderr.write(`${formatError(err)}\n`);
  }
}
