import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Authenticator, hashSecret, loadAuthConfig, verifySecret } from './auth.js';

describe('server auth config', () => {
  it('hashes with scrypt and verifies in constant time', () => {
    const h = hashSecret('pw');
    expect(h).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hashSecret('pw')).not.toBe(h);
    expect(verifySecret('pw', h)).toBe(true);
    expect(verifySecret('pW', h)).toBe(false);
    expect(verifySecret('pw', 'plain')).toBe(false);
    expect(verifySecret('pw', 'scrypt$1$1$1$$')).toBe(false);
  });

  it('reads users and tokens from the environment and from a file', () => {
    const env = {
      PROPFLOW_SERVER_USERS: `ana:${hashSecret('a')}:write, bo:${hashSecret('b')}:read`,
      PROPFLOW_SERVER_TOKENS: `ci:${hashSecret('t')}:read`,
    };
    const config = loadAuthConfig(undefined, env);
    expect(config.users.map((u) => [u.username, u.permission])).toEqual([
      ['ana', 'write'],
      ['bo', 'read'],
    ]);
    const auth = new Authenticator(config);
    expect(auth.authenticate(`Basic ${Buffer.from('bo:b').toString('base64')}`)).toEqual({
      name: 'bo',
      permission: 'read',
    });
    expect(auth.authenticate(`Basic ${Buffer.from('nobody:b').toString('base64')}`)).toBeNull();
    expect(auth.authenticate('Bearer t')).toEqual({ name: 'ci', permission: 'read' });
    expect(auth.authenticate('Digest x')).toBeNull();
    expect(auth.authenticate(undefined)).toBeNull();

    const dir = mkdtempSync(path.join(tmpdir(), 'pf-auth-'));
    try {
      const file = path.join(dir, 'auth.json');
      writeFileSync(
        file,
        JSON.stringify({ users: [{ username: 'x', password_hash: hashSecret('y'), permission: 'write' }] }),
      );
      expect(loadAuthConfig(file, {}).users).toHaveLength(1);
      writeFileSync(file, '{"users": [{"username": "x", "password_hash": "plain", "permission": "write"}]}');
      expect(() => loadAuthConfig(file, {})).toThrow(/password_hash/);
      writeFileSync(file, '{oops');
      expect(() => loadAuthConfig(file, {})).toThrow(/not valid JSON/);
      expect(() => loadAuthConfig(path.join(dir, 'missing.json'), {})).toThrow(/Cannot read the auth file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed environment entries and an empty configuration', () => {
    expect(() => loadAuthConfig(undefined, { PROPFLOW_SERVER_USERS: 'ana:plaintext:write' })).toThrow(
      /PROPFLOW_SERVER_USERS/,
    );
    expect(() =>
      loadAuthConfig(undefined, { PROPFLOW_SERVER_USERS: `ana:${hashSecret('a')}:admin` }),
    ).toThrow(/read\|write/);
    expect(() => loadAuthConfig(undefined, {})).toThrow(/no users or tokens/);
  });
});
