/**
 * `propflow experiments …`: the experiment tree, experiments from templates, and migration
 * of legacy runs into the hierarchy. `tree` and `migrate --dry-run` only read.
 */
import type { Command } from 'commander';
import { type StoreFlags, TRACKING_URI_HELP } from '../output.js';

async function output() {
  return import('../output.js');
}

async function runsModule() {
  return import('../../runs/index.js');
}

function defineTree(experiments: Command): void {
  experiments
    .command('tree')
    .description('the experiment hierarchy (NBA_Props_Model/…) with run counts and best val_mae')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(async (flags: StoreFlags) => {
      const o = await output();
      const r = await runsModule();
      await o.withStore(flags, { readOnly: true }, async (store, uri) => {
        const tree = await r.experimentTree(store);
        if (flags.json) return o.printJson({ experiments: tree }, { store: uri });
        o.out(r.renderTree(tree, (x) => o.formatNumber(x)));
        if (tree.some((n) => n.children.some((c) => c.missing))) {
          o.out(
            `\nCreate a missing phase with 'propflow experiments create --template <${Object.keys(r.TEMPLATES).join('|')}>'.`,
          );
        }
      });
    });
}

function defineCreate(experiments: Command): void {
  experiments
    .command('create')
    .description('create an experiment from a template: its standard tags and a starter pipeline config file')
    .requiredOption(
      '--template <name>',
      'phase1_baseline, phase1_features, architecture, position_defense or production',
    )
    .option(
      '--name <experiment>',
      "experiment name (default: the template's, e.g. NBA_Props_Model/Phase1_Features)",
    )
    .option('--config-out <file>', 'where to write the starter config (default: configs/<template>.yaml)')
    .option('--force', 'overwrite an existing config file')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(
      async (
        flags: StoreFlags & { template: string; name?: string; configOut?: string; force?: boolean },
      ) => {
        const o = await output();
        const r = await runsModule();
        const { existsSync, mkdirSync, writeFileSync } = await import('node:fs');
        const path = await import('node:path');
        const { InvalidParameterError } = await import('../../errors.js');
        const t = r.getTemplate(flags.template);
        const file = flags.configOut ?? path.join('configs', `${t.name}.yaml`);
        if (existsSync(file) && !flags.force) {
          throw new InvalidParameterError(
            `${file} exists; pass --force to overwrite it or --config-out another file.`,
          );
        }
        await o.withStore(flags, { readOnly: false }, async (store, uri) => {
          const created = await r.createFromTemplate(store, t.name, flags.name ? { name: flags.name } : {});
          mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
          writeFileSync(file, r.templateConfigYaml(t, created.experiment));
          const result = { ...created, config_file: path.resolve(file) };
          if (flags.json) return o.printJson(result, { store: uri });
          o.out(
            `${created.created ? 'created' : 'exists:'} experiment ${created.experiment} (id ${created.experiment_id})${created.tags_set.length ? `; tags set: ${created.tags_set.join(', ')}` : '; tags already set'}`,
          );
          o.out(`starter config: ${file}`);
        });
      },
    );
}

function defineMigrate(experiments: Command): void {
  experiments
    .command('migrate')
    .description(
      'copy runs from legacy experiments into the hierarchy by rules; originals tagged migrated_to, copies migrated_from',
    )
    .requiredOption(
      '--rules <file>',
      'rules file (YAML or JSON): rules: [{match: {experiment, name, tags, params}, target, rename}]',
    )
    .option('--dry-run', 'print the plan and change nothing')
    .option('--json', 'print JSON')
    .option('--tracking-uri <uri>', TRACKING_URI_HELP)
    .action(async (flags: StoreFlags & { rules: string; dryRun?: boolean }) => {
      const o = await output();
      const r = await runsModule();
      const { readFileSync, existsSync } = await import('node:fs');
      const { InvalidParameterError } = await import('../../errors.js');
      if (!existsSync(flags.rules)) throw new InvalidParameterError(`--rules ${flags.rules}: no such file.`);
      const rules = r.parseRules(readFileSync(flags.rules, 'utf8'), flags.rules);
      await o.withStore(flags, { readOnly: Boolean(flags.dryRun) }, async (store, uri) => {
        const result = flags.dryRun
          ? await r.planMigration(store, rules)
          : await r.migrate(store, rules, {
              onEvent: (e) => {
                if (!flags.json && e.step === 'tagged')
                  process.stderr.write(`migrated ${e.run_id} → ${e.copy_id}\n`);
              },
            });
        if (flags.json) return o.printJson({ dry_run: Boolean(flags.dryRun), ...result }, { store: uri });
        if (result.moves.length === 0) {
          o.out(`No run matches the rules (${result.unmatched} runs checked).`);
          return;
        }
        o.out(
          o.renderTable(
            ['run', 'from', 'to', 'new name', flags.dryRun ? 'plan' : 'done', 'copy'],
            result.moves.map((m) => [
              m.run_name,
              m.from_experiment,
              m.target,
              m.new_name,
              m.action.replaceAll('_', ' '),
              m.copy_id ? m.copy_id.slice(0, 8) : '',
            ]),
          ),
        );
        const todo = result.moves.filter(
          (m) => m.action !== 'already_migrated' && m.action !== 'skip_running',
        );
        if (flags.dryRun) o.out(`dry run: ${todo.length} to migrate, nothing changed.`);
        else {
          const done = result as import('../../runs/index.js').MigrationResult;
          o.out(
            `${done.copied} copied, ${done.resumed} resumed, ${done.skipped} already migrated or skipped.`,
          );
        }
      });
    });
}

/** `propflow experiments …`. */
export function define(program: Command): void {
  const experiments = program
    .command('experiments')
    .description('the experiment hierarchy: tree, create from a template, migrate legacy runs');
  defineTree(experiments);
  defineCreate(experiments);
  defineMigrate(experiments);
}
