import { type Command, Option } from 'commander';
import { MLFLOW_COMPATIBLE_VERSION, PROPFLOW_VERSION, SERVER_SETTINGS } from '../../config.js';

import { InvalidParameterError } from '../../errors.js';
import { stopOnSignals } from '../args.js';

interface ServerFlags {
  backendStoreUri: string;
  defaultArtifactRoot?: string;
  artifactsDestination?: string;
  serveArtifacts: boolean;
  host: string;
  port: string;
  workers: string;
  auth: string;
  authFile?: string;
  maxArtifactMb: string;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidParameterError(`--port must be an integer between 0 and 65535, got '${raw}'.`);
  }
  return port;
}

const S = SERVER_SETTINGS;

/** The server's options: MLflow's names, short flags and environment variables. */
function serverOptions(): Option[] {
  return [
    new Option('--backend-store-uri <uri>', 'embedded store to serve (sqlite:///path.db)')
      .env(S.backendStoreUri.env)
      .default(S.backendStoreUri.default),
    new Option(
      '--default-artifact-root <uri>',
      'where new experiments keep artifacts: a folder, file:// URI or mlflow-artifacts:/ (default: mlflow-artifacts:/ when serving artifacts, else the artifacts destination)',
    ).env(S.defaultArtifactRoot.env),
    new Option(
      '--artifacts-destination <dir>',
      'folder the served artifacts are stored in (default: artifacts/ beside the database, as the embedded store keeps them)',
    ).env(S.artifactsDestination.env),
    new Option('--serve-artifacts', 'proxy artifact uploads and downloads through this server').default(
      true,
      'on',
    ),
    new Option(
      '--no-serve-artifacts',
      'turn the mlflow-artifacts API off (clients write to the artifact root)',
    ),
    new Option('-h, --host <host>', 'address to listen on').env(S.host.env).default(S.host.default),
    new Option('-p, --port <port>', 'port to listen on').env(S.port.env).default(S.port.default),
    new Option(
      '-w, --workers <n>',
      'accepted for MLflow compatibility; propflow serves from one process (SQLite has one writer)',
    )
      .env(S.workers.env)
      .default(S.workers.default),
    new Option(
      '--auth <mode>',
      "'none' or 'basic' (users and bearer tokens from --auth-file or PROPFLOW_SERVER_USERS/_TOKENS)",
    ).default('none'),
    new Option('--auth-file <file>', 'JSON file with users and tokens (see `propflow server-passwd`)'),
    new Option('--max-artifact-mb <n>', 'largest artifact upload in MiB').default('1024'),
  ];
}

function checkFlags(flags: ServerFlags): { port: number; maxMb: number } {
  const port = parsePort(flags.port);
  const maxMb = Number(flags.maxArtifactMb);
  if (!Number.isFinite(maxMb) || maxMb <= 0) {
    throw new InvalidParameterError(
      `--max-artifact-mb must be a positive number, got '${flags.maxArtifactMb}'.`,
    );
  }
  if (flags.auth !== 'none' && flags.auth !== 'basic') {
    throw new InvalidParameterError(`--auth must be 'none' or 'basic', got '${flags.auth}'.`);
  }
  if (!/^[1-9]\d*$/.test(flags.workers)) {
    throw new InvalidParameterError(`--workers must be a whole number from 1, got '${flags.workers}'.`);
  }
  return { port, maxMb };
}

/**
 * `propflow server`: the MLflow REST API over the embedded store (MLflow's own flag names),
 * and `propflow server-passwd` to hash passwords and tokens for `--auth basic`.
 */
export function define(program: Command): void {
  const server = program
    .command('server')
    .description(
      'serve the MLflow REST API (tracking, registry, artifacts) for MLflow Python clients and propflow',
    )
    // As `mlflow server`: -h is --host; help is --help only.
    .helpOption('--help', 'display help for command');
  for (const option of serverOptions()) server.addOption(option);
  server.action(async (flags: ServerFlags) => {
    const { startServer, loadAuthConfig } = await import('../../server/index.js');
    const { announceStore } = await import('../output.js');
    const { port, maxMb } = checkFlags(flags);
    const auth = flags.auth === 'basic' ? loadAuthConfig(flags.authFile) : undefined;
    const log = (level: string) => (message: string) =>
      process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
    announceStore(flags.backendStoreUri);
    if (flags.workers !== '1') {
      process.stderr.write(
        `note: --workers ${flags.workers} accepted for MLflow compatibility; propflow serves from one process.\n`,
      );
    }
    const running = await startServer({
      backendStoreUri: flags.backendStoreUri,
      ...(flags.artifactsDestination ? { artifactsDestination: flags.artifactsDestination } : {}),
      ...(flags.defaultArtifactRoot ? { defaultArtifactRoot: flags.defaultArtifactRoot } : {}),
      serveArtifacts: flags.serveArtifacts,
      host: flags.host,
      port,
      ...(auth ? { auth } : {}),
      limits: { artifactBytes: Math.round(maxMb * 1024 * 1024) },
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
    });
    printBanner(running, flags, Boolean(auth));
    stopOnSignals(running);
  });

  program
    .command('server-passwd')
    .description('print a scrypt hash of a password or token (read from stdin) for the server auth file')
    .option('--user <name>', 'also print a PROPFLOW_SERVER_USERS entry for this user')
    .option('--permission <p>', "'read' or 'write'", 'write')
    .action(async (flags: { user?: string; permission: string }) => {
      const { hashSecret } = await import('../../server/index.js');
      if (flags.permission !== 'read' && flags.permission !== 'write') {
        throw new InvalidParameterError(`--permission must be 'read' or 'write', got '${flags.permission}'.`);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const secret = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (secret === '')
        throw new InvalidParameterError('Give the password or token on stdin (echo -n secret | …).');
      const hash = hashSecret(secret);
      process.stdout.write(flags.user ? `${flags.user}:${hash}:${flags.permission}\n` : `${hash}\n`);
    });
}

function printBanner(
  server: { url: string; artifactRoot: string; artifactUriBase: string },
  flags: ServerFlags,
  auth: boolean,
): void {
  process.stdout.write(`propflow server listening on ${server.url}\n`);
  if (!auth && !['127.0.0.1', 'localhost', '::1'].includes(flags.host)) {
    process.stderr.write(
      `warning: listening on ${flags.host} without authentication; anyone who can reach it can read and write. Consider --auth basic.\n`,
    );
  }
  const lines = [
    `  backend store: ${flags.backendStoreUri}`,
    `  artifacts:     ${server.artifactRoot}${flags.serveArtifacts ? ' (served: new experiments use mlflow-artifacts:/)' : ' (not served: --no-serve-artifacts)'}`,
    ...(server.artifactUriBase !== 'mlflow-artifacts:' ? [`  artifact root: ${server.artifactUriBase}`] : []),
    `  auth:          ${auth ? 'basic / bearer' : 'off'}`,
    `  version:       propflow ${PROPFLOW_VERSION}, MLflow API ${MLFLOW_COMPATIBLE_VERSION}`,
    `  Python:        MLFLOW_TRACKING_URI=${server.url}`,
    `  web UI:        ${server.url}/`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
