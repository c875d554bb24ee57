import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactRepository, normalizeArtifactPath } from './local.js';

let dir: string;
let repo: LocalArtifactRepository;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pf-artifacts-'));
  mkdirSync(path.join(dir, 'root'));
  repo = new LocalArtifactRepository(path.join(dir, 'root'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('artifact paths', () => {
  it('normalises relative paths', () => {
    expect(normalizeArtifactPath('a//b/./c/')).toBe('a/b/c');
    expect(normalizeArtifactPath('.')).toBe('');
    expect(normalizeArtifactPath('')).toBe('');
    expect(normalizeArtifactPath(undefined)).toBe('');
    expect(normalizeArtifactPath('model/MLmodel')).toBe('model/MLmodel');
  });

  it('refuses escapes, absolute paths, NUL bytes and backslashes, naming the path', () => {
    for (const bad of ['..', '../x', 'a/../../x', 'a/..', '/etc/passwd', 'C:/x', 'a\\b', 'a\0b']) {
      expect(() => normalizeArtifactPath(bad), bad).toThrow(/Invalid artifact path/);
    }
  });
});

describe('LocalArtifactRepository', () => {
  it('writes, lists (relative to the root, sorted) and reads', async () => {
    await repo.write('b.txt', 'bee');
    await repo.write('a/deep/x.bin', new Uint8Array([1, 2, 3]));
    expect(await repo.list()).toEqual([
      { path: 'a', isDir: true },
      { path: 'b.txt', isDir: false, fileSize: 3 },
    ]);
    expect(await repo.list('a')).toEqual([{ path: 'a/deep', isDir: true }]);
    expect(await repo.listFiles()).toEqual([
      { path: 'a/deep/x.bin', isDir: false, fileSize: 3 },
      { path: 'b.txt', isDir: false, fileSize: 3 },
    ]);
    expect([...(await repo.read('a/deep/x.bin'))]).toEqual([1, 2, 3]);
    expect(await repo.list('b.txt')).toEqual([]); // a file lists as nothing, as in MLflow
    expect(await repo.list('missing')).toEqual([]);
    expect(await repo.exists('a/deep')).toBe(true);
    // no temporary files are left behind
    expect(readdirSync(path.join(dir, 'root'))).toEqual(['a', 'b.txt']);
  });

  it('overwrites files, but not folders, and reports missing files', async () => {
    await repo.write('f.txt', 'one');
    await repo.write('f.txt', 'two');
    expect(new TextDecoder().decode(await repo.read('f.txt'))).toBe('two');
    await repo.write('d/x', '1');
    await expect(repo.write('d', 'x')).rejects.toThrow(/a folder with that name exists/);
    await expect(repo.read('nope.txt')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(repo.read('d')).rejects.toThrow(/it is a folder/);
    await expect(repo.write('', 'x')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('copies local files and folders', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'sub', 'empty'), { recursive: true });
    writeFileSync(path.join(src, 'sub', 'f.csv'), 'a,b\n');
    writeFileSync(path.join(src, 'top.txt'), 'top');
    await repo.copyFrom(src, 'copy');
    await repo.copyFrom(path.join(src, 'top.txt'), 'single/top.txt');
    expect((await repo.listFiles()).map((f) => f.path)).toEqual([
      'copy/sub/f.csv',
      'copy/top.txt',
      'single/top.txt',
    ]);
    expect(existsSync(path.join(dir, 'root', 'copy', 'sub', 'empty'))).toBe(true);
    await expect(repo.copyFrom(path.join(dir, 'absent'), 'x')).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('refuses symlinks that lead outside the root, for reading and writing', async () => {
    const outside = path.join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    symlinkSync(outside, path.join(dir, 'root', 'link'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'root', 'file-link'));
    await expect(repo.read('link/secret.txt')).rejects.toThrow(/outside the artifact root/);
    await expect(repo.read('file-link')).rejects.toThrow(/outside the artifact root/);
    await expect(repo.write('link/new.txt', 'x')).rejects.toThrow(/outside the artifact root/);
    await expect(repo.list('link')).rejects.toThrow(/outside the artifact root/);
    expect(existsSync(path.join(outside, 'new.txt'))).toBe(false);
  });

  it('refuses to delete the root and deletes paths inside it', async () => {
    await repo.write('x/y.txt', 'y');
    await expect(repo.delete('')).rejects.toThrow(/Refusing to delete/);
    await repo.delete('x');
    expect(await repo.exists('x')).toBe(false);
  });
});
