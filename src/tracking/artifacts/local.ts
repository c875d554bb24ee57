/**
 * A local artifact folder. Every path is relative to the repository root, normalised, and
 * confined to it: `..`, absolute paths, NUL bytes, backslashes and symlinks that lead
 * outside the root are refused with an InvalidParameterError naming the path.
 *
 * The embedded store keeps one repository per run (`<root>/<experiment>/<run>/artifacts`);
 * the server's mlflow-artifacts API uses one rooted at the artifact root itself.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidParameterError, NotFoundError, storageErrorOf } from '../../errors.js';
import type { FileInfo } from '../entities.js';

/**
 * Normalise a relative artifact path (`a//b/./c` → `a/b/c`, `''`/`.` → `''`) or refuse it.
 * `what` names the path in messages.
 */
export function normalizeArtifactPath(p: string | undefined, what = 'artifact path'): string {
  if (p === undefined || p === null) return '';
  if (typeof p !== 'string') throw new InvalidParameterError(`Invalid ${what}: expected a string.`);
  if (p.includes('\0'))
    throw new InvalidParameterError(
      `Invalid ${what} '${p.replace(/\0/g, '\\0')}': NUL bytes are not allowed.`,
    );
  if (p.includes('\\')) {
    throw new InvalidParameterError(
      `Invalid ${what} '${p}': backslashes are not allowed; separate folders with '/'.`,
    );
  }
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) {
    throw new InvalidParameterError(
      `Invalid ${what} '${p}': it must be relative to the artifact root, not absolute.`,
    );
  }
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) {
    throw new InvalidParameterError(
      `Invalid ${what} '${p}': '..' is not allowed; artifact paths stay inside the artifact root.`,
    );
  }
  return parts.join('/');
}

/** Longest file or folder name, in bytes, on the file systems propflow runs on (Linux NAME_MAX). */
export const MAX_NAME_BYTES = 255;
/** Longest absolute path, in bytes (Linux PATH_MAX less the terminating NUL). */
export const MAX_PATH_BYTES = 4095;

/** Refuse a local path with a name or a total length over the file system's limits, naming the limit. */
function checkNameLengths(abs: string, shown: string): void {
  const long = abs.split(path.sep).find((part) => Buffer.byteLength(part) > MAX_NAME_BYTES);
  if (long !== undefined) {
    throw new InvalidParameterError(
      `Invalid artifact path '${shown.length > 80 ? `${shown.slice(0, 80)}…` : shown}': the name '${long.slice(0, 40)}…' is ${Buffer.byteLength(long)} bytes; file and folder names may be at most ${MAX_NAME_BYTES} bytes (the file system's limit). Shorten it.`,
    );
  }
  if (Buffer.byteLength(abs) > MAX_PATH_BYTES) {
    throw new InvalidParameterError(
      `Invalid artifact path '${shown.slice(0, 80)}…': stored at ${Buffer.byteLength(abs)} bytes it is over the file system's limit of ${MAX_PATH_BYTES} bytes per path. Shorten it.`,
    );
  }
}

/** A temporary file beside `abs` for an atomic write; its name is short whatever `abs`'s is. */
export function tempPathFor(abs: string): string {
  return path.join(path.dirname(abs), `.${randomUUID()}.tmp`);
}

/** True for the name of a temporary file of an atomic write (`tempPathFor`, and older `<name>.<uuid>.tmp`). */
export function isTempName(name: string): boolean {
  return (
    name.endsWith('.tmp') && /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/.test(name)
  );
}

export class LocalArtifactRepository {
  /** Absolute folder all artifacts live under. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * The absolute location of a relative artifact path, after normalising it and checking
   * that no existing symlink along the way leads outside the root.
   */
  resolve(relPath: string | undefined): string {
    const rel = normalizeArtifactPath(relPath);
    const abs = rel === '' ? this.root : path.join(this.root, ...rel.split('/'));
    checkNameLengths(abs, relPath ?? '');
    this.assertInside(abs, relPath ?? '');
    return abs;
  }

  private assertInside(abs: string, shown: string): void {
    if (!existsSync(this.root)) return;
    const rootReal = realpathSync(this.root);
    // The deepest existing ancestor decides where the path really leads.
    let probe = abs;
    while (!existsSync(probe) && probe !== path.dirname(probe)) probe = path.dirname(probe);
    const real = realpathSync(probe);
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
      throw new InvalidParameterError(
        `Invalid artifact path '${shown}': it leads outside the artifact root through a symbolic link.`,
      );
    }
  }

  /** Write bytes (or UTF-8 text) atomically, creating folders as needed. */
  async write(relPath: string, content: Uint8Array | string): Promise<void> {
    const rel = normalizeArtifactPath(relPath);
    if (rel === '') throw new InvalidParameterError('Invalid artifact path: give a file name, not the root.');
    const abs = this.resolve(rel);
    await this.writing(async () => {
      await mkdir(path.dirname(abs), { recursive: true });
      this.assertInside(abs, rel);
      const existing = await lstat(abs).catch(() => null);
      if (existing?.isDirectory()) {
        throw new InvalidParameterError(`Cannot write artifact '${rel}': a folder with that name exists.`);
      }
      if (existing?.isSymbolicLink()) {
        throw new InvalidParameterError(`Cannot write artifact '${rel}': it is a symbolic link.`);
      }
      const tmp = tempPathFor(abs);
      try {
        await writeFile(tmp, content);
        await rename(tmp, abs);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    });
  }

  /** Run a write; a full or read-only disk becomes a StorageError naming the artifact folder. */
  private async writing(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw storageErrorOf(err, 'artifact folder', this.root) ?? err;
    }
  }

  /** Copy a local file to `relPath`, or a local folder's contents under `relPath`. */
  async copyFrom(localPath: string, relPath: string): Promise<void> {
    const info = await stat(localPath).catch(() => null);
    if (!info) throw new NotFoundError(`Cannot log artifacts from '${localPath}': no such file or folder.`);
    const rel = normalizeArtifactPath(relPath);
    if (info.isDirectory()) {
      const entries = await readdir(localPath, { withFileTypes: true });
      for (const e of entries) {
        const child = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory() || e.isFile()) await this.copyFrom(path.join(localPath, e.name), child);
      }
      if (entries.length === 0)
        await this.writing(() => mkdir(this.resolve(rel), { recursive: true }).then(() => undefined));
      return;
    }
    if (rel === '') throw new InvalidParameterError('Invalid artifact path: give a file name, not the root.');
    const abs = this.resolve(rel);
    await this.writing(async () => {
      await mkdir(path.dirname(abs), { recursive: true });
      this.assertInside(abs, rel);
      await copyFile(localPath, abs);
    });
  }

  /**
   * The entries directly inside folder `relDir` with paths relative to the repository root
   * (`dir/name`), sorted by path. A missing folder or a file gives `[]`, as in MLflow.
   */
  async list(relDir?: string): Promise<FileInfo[]> {
    const rel = normalizeArtifactPath(relDir);
    const abs = this.resolve(rel);
    const info = await stat(abs).catch(() => null);
    if (!info?.isDirectory()) return [];
    const entries = await readdir(abs, { withFileTypes: true });
    const out: FileInfo[] = [];
    for (const e of entries) {
      if (isTempName(e.name)) continue;
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) out.push({ path: p, isDir: true });
      else if (e.isFile())
        out.push({ path: p, isDir: false, fileSize: (await stat(path.join(abs, e.name))).size });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Every file below `relDir`, recursively, paths relative to the root. */
  async listFiles(relDir?: string): Promise<FileInfo[]> {
    const out: FileInfo[] = [];
    for (const entry of await this.list(relDir)) {
      if (entry.isDir) out.push(...(await this.listFiles(entry.path)));
      else out.push(entry);
    }
    return out;
  }

  /** The bytes of one artifact; NotFoundError when it is missing or a folder. */
  async read(relPath: string): Promise<Uint8Array> {
    const rel = normalizeArtifactPath(relPath);
    const abs = this.resolve(rel);
    const info = await stat(abs).catch(() => null);
    if (!info || info.isDirectory()) {
      throw new NotFoundError(
        `Artifact '${rel}' not found${info ? ' (it is a folder; list it instead)' : ''} under ${this.root}.`,
      );
    }
    return new Uint8Array(await readFile(abs));
  }

  /** True when a file or folder exists at `relPath`. */
  async exists(relPath: string): Promise<boolean> {
    return (await stat(this.resolve(relPath)).catch(() => null)) !== null;
  }

  /** Delete a file or folder (no error when absent). */
  async delete(relPath: string): Promise<void> {
    const rel = normalizeArtifactPath(relPath);
    if (rel === '')
      throw new InvalidParameterError('Refusing to delete the whole artifact root; name a path.');
    await rm(this.resolve(rel), { recursive: true, force: true });
  }
}
