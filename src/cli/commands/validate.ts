import type { Command } from 'commander';
import { type PipelineFlags, pipelineOptions, runPipelineCommand } from './train.js';

/** `propflow validate`: walk-forward validation of a feature set / model configuration against a baseline run. */
export function define(program: Command): void {
  pipelineOptions(
    program
      .command('validate')
      .description(
        'walk-forward validation of a feature set / model config against a baseline run (--baseline-run); no registration unless --register',
      ),
    'validate',
  ).action((flags: PipelineFlags) => runPipelineCommand('validate', flags));
}
