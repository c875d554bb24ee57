import type { Command } from 'commander';
import { DEFAULT_ARTIFACTS_DIR, DEFAULT_HOME, TRACKING_URI } from '../../config.js';
import { InvalidParameterError } from '../../errors.js';

interface ServerFlags {
  backendStoreUri: string;
  artifactsDestination: string;
  host: string;
  port: string;
  auth: string;
  authFile?: string;
  maxArtifactMb: string;
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidParameterError(`--port must be an integer between 0 and 65535, got '${raw}'.`);
  }
  return port;
}

/**
 * `propflow server`: the MLflow REST API over the embedded store (MLflow's own flag names),
 * and `propflow server-passwd` to hash passwords and tokens for `--auth basic`.
 */
export function define(program: Command): void {
  program
    .command('server')
    .description(
      'serve the MLflow REST API (tracking, registry, artifacts) for MLflow Python clients and propflow',
    )
    .option('--backend-store-uri <uri>', 'embedded store to serve', TRACKING_URI.default)
    .option(
      '--artifacts-destination <dir>',
      'folder artifacts are stored in',
      `./${DEFAULT_HOME}/${DEFAULT_ARTIFACTS_DIR}`,
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '5000')
    .option(
      '--auth <mode>',
      "'none' or 'basic' (users and bearer tokens from --auth-file or PROPFLOW_SERVER_USERS/_TOKENS)",
      'none',
    )
    .option('--auth-file <file>', 'JSON file with users and tokens (see `propflow server-passwd`)')
    .option('--max-artifact-mb <n>', 'largest artifact upload in MiB', '1024')
    .action(async (flags: ServerFlags) => {
      const { startServer, loadAuthConfig } = await import('../../server/index.js');
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
      const auth = flags.auth === 'basic' ? loadAuthConfig(flags.authFile) : undefined;
      const log = (level: string) => (message: string) =>
        process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
      const server = await startServer({
        backendStoreUri: flags.backendStoreUri,
        artifactsDestination: flags.artifactsDestination,
        host: flags.host,
        port,
        ...(auth ? { auth } : {}),
        limits: { artifactBytes: Math.round(maxMb * 1024 * 1024) },
        logger: { info: log('info'), warn: log('warn'), error: log('error') },
      });
      process.stdout.write(`propflow server listening on ${server.url}\n`);
      if (!auth && !['127.0.0.1', 'localhost', '::1'].includes(flags.host)) {
        process.stderr.write(
          `warning: listening on ${flags.host} without authentication; anyone who can reach it can read and write. Consider --auth basic.\n`,
        );
      }
      process.stdout.write(
        `  backend store: ${flags.backendStoreUri}\n  artifacts:     ${flags.artifactsDestination}\n`,
      );
      process.stdout.write(`  auth:          ${auth ? 'basic / bearer' : 'off'}\n`);
      process.stdout.write(`  Python:        MLFLOW_TRACKING_URI=${server.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`${signal}: finishing in-flight requests and shutting down…\n`);
        server.close().then(
          () => process.stderr.write('stopped.\n'),
          (err: unknown) => {
            process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
            process.exitCode = 1;
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
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
