/**
 * The mlflow-artifacts API (`/api/2.0/mlflow-artifacts/artifacts/<path>`) over one local
 * folder, plus the checks for every other way a client names a location (experiment
 * artifact locations, model version sources).
 *
 * Every path is decoded and checked by the wire module's `decodeArtifactPath` /
 * `checkArtifactPath` (double encoding refused, normalised) and confined to the artifact root —
 * existing symlinks included — before the file system is touched.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { InvalidParameterError, NotFoundError, PropflowError, storageErrorOf } from '../errors.js';
import { type FileInfo, isTempName, LocalArtifactRepository, tempPathFor } from '../tracking/index.js';
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
    try {
      await this.write(rel, abs, body);
    } catch (err) {
      throw storageErrorOf(err, 'artifact folder', this.root) ?? err;
    }
  }

  private async write(rel: string, abs: string, body: ReadableStream<Uint8Array> | null): Promise<void> {
    await mkdir(path.dirname(abs), { recursive: true });
    // Check again now that the folders exist (the first check is skipped while the root is missing).
    this.repo.resolve(rel);
    const existing = await lstat(abs).catch(() => null);
    if (existing?.isDirectory())
      throw new InvalidParameterError(`Cannot write artifact '${rel}': it is a folder.`);
    if (existing?.isSymbolicLink()) {
      throw new PropflowError(`Cannot write artifact '${rel}': it is a symbolic link.`, 'PERMISSION_DENIED');
    }
    const tmp = tempPathFor(abs);
    const source = body
      ? Readable.fromWeb(body as unknown as NodeReadableStream<Uint8Array>)
      : Readable.from([]);
    const failure = await this.receive(rel, source, tmp);
    if (failure !== undefined) {
      await rm(tmp, { force: true });
      throw failure;
    }
    try {
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Write the request body to `tmp`; returns the error, if any. After a write error (a full
   * disk) the rest of the body is read and dropped, so the client gets the answer instead of
   * a connection closed mid-upload; over the size limit, reading stops at once.
   */
  private async receive(rel: string, source: Readable, tmp: string): Promise<unknown> {
    let failure: unknown;
    let total = 0;
    let file: FileHandle;
    try {
      file = await open(tmp, 'wx');
    } catch (err) {
      source.resume();
      return err;
    }
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > this.maxUploadBytes) {
          failure = new PayloadTooLargeError(
            `Artifact '${rel}' is over the limit of ${this.maxUploadBytes} bytes per artifact.`,
          );
          break;
        }
        if (failure !== undefined) continue;
        try {
          await file.write(chunk);
        } catch (err) {
          failure = err;
        }
      }
    } catch (err) {
      failure ??= err;
    } finally {
      await file.close().catch((err: unknown) => {
        failure ??= err;
      });
    }
    return failure;
  }

  async delete(rel: string): Promise<void> {
    try {
      await this.repo.delete(rel);
    } catch (err) {
      throw storageErrorOf(err, 'artifact folder', this.root) ?? err;
    }
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

/**
 * Remove the temporary files of uploads that never finished (a killed client or server)
 * anywhere below `root`, if they are older than `olderThanMs` — longer than any upload in
 * flight can take (the server's request timeout). Returns how many were removed.
 */
export async function removeStaleUploads(
  root: string,
  olderThanMs: number,
  now = Date.now(),
): Promise<number> {
  let removed = 0;
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile() || !isTempName(e.name)) continue;
    const file = path.join(e.parentPath, e.name);
    const info = await stat(file).catch(() => null);
    if (info && now - info.mtimeMs > olderThanMs) {
      await rm(file, { force: true }).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}
