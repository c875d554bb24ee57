/**
 * The mlflow-artifacts API (`/api/2.0/mlflow-artifacts/artifacts/<path>`) over one local
 * folder, plus the checks for every other way a client names a location (experiment
 * artifact locations, model version sources).
 *
 * Every path is decoded and checked by the wire module's `decodeArtifactPath` /
 * `checkArtifactPath` (double encoding refused, normalised) and confined to the artifact root —
 * existing symlinks included — before the file system is touched.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { InvalidParameterError, NotFoundError, PropflowError } from '../errors.js';
import { type FileInfo, LocalArtifactRepository } from '../tracking/index.js';
import { PayloadTooLargeError } from './http.js';

const TEXT_TYPES = new Set([
  '.txt',
  '.log',
  '.yaml',
  '.yml',
  '.md',
  '.py',
  '.csv',
  '.tsv',
  '.toml',
  '.cfg',
  '.ini',
]);
const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
};

function contentTypeOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  if (TEXT_TYPES.has(ext) || path.basename(file) === 'MLmodel') return 'text/plain; charset=utf-8';
  return TYPES[ext] ?? 'application/octet-stream';
}

/** A relative path below a base folder (either may be the root, ''). */
export function under(base: string, rel: string): string {
  return [base, rel].filter((p) => p !== '').join('/');
}

export class ArtifactService {
  readonly repo: LocalArtifactRepository;

  constructor(
    readonly root: string,
    private readonly maxUploadBytes: number,
  ) {
    this.repo = new LocalArtifactRepository(root);
  }

  /** Entries directly inside a folder, as MLflow lists them (names relative to that folder). */
  async list(rel: string): Promise<FileInfo[]> {
    const entries = await this.repo.list(rel);
    return entries.map((e) => ({ ...e, path: path.posix.basename(e.path) }));
  }

  /** Entries inside `rel`, with paths relative to `base` (the run-based `artifacts/list`). */
  async listRelative(base: string, rel: string): Promise<FileInfo[]> {
    const entries = await this.repo.list(under(base, rel));
    return entries.map((e) => ({ ...e, path: base === '' ? e.path : e.path.slice(base.length + 1) }));
  }

  /** Stream a file back; 404 when it is missing or a folder. */
  async download(rel: string): Promise<Response> {
    if (rel === '') throw new InvalidParameterError('Name an artifact to download, not the artifact root.');
    const abs = this.repo.resolve(rel);
    const info = await stat(abs).catch(() => null);
    if (!info?.isFile())
      throw new NotFoundError(`Artifact '${rel}' does not exist${info ? ' (it is a folder)' : ''}.`);
    const body = Readable.toWeb(createReadStream(abs)) as unknown as ReadableStream<Uint8Array>;
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': contentTypeOf(abs),
        'Content-Length': String(info.size),
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'",
        'Content-Disposition': `attachment; filename="${encodeURIComponent(path.basename(abs))}"`,
      },
    });
  }

  /** Stream a request body into a file (atomically, within the upload limit). */
  async upload(
    rel: string,
    body: ReadableStream<Uint8Array> | null,
    declaredLength: string | undefined,
  ): Promise<void> {
    if (rel === '') throw new InvalidParameterError('Name the artifact to upload, not the artifact root.');
    if (declaredLength !== undefined && Number(declaredLength) > this.maxUploadBytes) {
      throw new PayloadTooLargeError(
        `Artifact '${rel}' has ${declaredLength} bytes; this server accepts at most ${this.maxUploadBytes} bytes per artifact (--max-artifact-mb).`,
      );
    }
    const abs = this.repo.resolve(rel);
    await mkdir(path.dirname(abs), { recursive: true });
    // Check again now that the folders exist (the first check is skipped while the root is missing).
    this.repo.resolve(rel);
    const existing = await lstat(abs).catch(() => null);
    if (existing?.isDirectory())
      throw new InvalidParameterError(`Cannot write artifact '${rel}': it is a folder.`);
    if (existing?.isSymbolicLink()) {
      throw new PropflowError(`Cannot write artifact '${rel}': it is a symbolic link.`, 'PERMISSION_DENIED');
    }
    const tmp = `${abs}.${randomUUID()}.tmp`;
    let total = 0;
    const limit = this.maxUploadBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        total += chunk.length;
        if (total > limit) {
          done(
            new PayloadTooLargeError(`Artifact '${rel}' is over the limit of ${limit} bytes per artifact.`),
          );
        } else done(null, chunk);
      },
    });
    const source = body
      ? Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>)
      : Readable.from([]);
    try {
      await pipeline(source, counter, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(rel: string): Promise<void> {
    await this.repo.delete(rel);
  }

  /** True when `abs` (an absolute local path) is inside the artifact root, symlinks resolved. */
  async containsLocal(abs: string): Promise<boolean> {
    const rootReal = await realpath(this.root).catch(() => path.resolve(this.root));
    let probe = path.resolve(abs);
    while (!(await stat(probe).catch(() => null)) && probe !== path.dirname(probe))
      probe = path.dirname(probe);
    const real = await realpath(probe).catch(() => probe);
    return real === rootReal || real.startsWith(rootReal + path.sep);
  }
}
