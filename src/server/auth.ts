/**
 * Optional authentication for the server: HTTP basic auth with scrypt-hashed passwords and
 * bearer tokens (also stored hashed). Users are `read` (GET and searches) or `write`.
 *
 * Auth file (JSON):
 * ```json
 * { "users":  [{ "username": "alice", "password_hash": "scrypt$16384$8$1$<salt>$<hash>", "permission": "write" }],
 *   "tokens": [{ "name": "ci", "token_hash": "scrypt$…", "permission": "write" }] }
 * ```
 * Environment: `PROPFLOW_SERVER_USERS="alice:<hash>:write,bob:<hash>:read"` and
 * `PROPFLOW_SERVER_TOKENS="ci:<hash>:write"`. Hashes come from `propflow server-passwd`.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidParameterError } from '../errors.js';

export type Permission = 'read' | 'write';

export interface AuthUser {
  username: string;
  passwordHash: string;
  permission: Permission;
}

export interface AuthToken {
  name: string;
  tokenHash: string;
  permission: Permission;
}

export interface AuthConfig {
  users: AuthUser[];
  tokens: AuthToken[];
}

export interface Principal {
  name: string;
  permission: Permission;
}

const SCRYPT = { N: 16384, r: 8, p: 1, keyLen: 32 } as const;

/** Hash a password or token: `scrypt$N$r$p$<salt b64>$<hash b64>`. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, SCRYPT.keyLen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Check a secret against a `hashSecret` hash in constant time. */
export function verifySecret(secret: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, hashB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length === 0) return false;
  try {
    const actual = scryptSync(secret, Buffer.from(saltB64, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    });
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

const permission = z.enum(['read', 'write']);
const fileSchema = z.object({
  users: z
    .array(
      z.object({ username: z.string().min(1), password_hash: z.string().startsWith('scrypt$'), permission }),
    )
    .default([]),
  tokens: z
    .array(z.object({ name: z.string().min(1), token_hash: z.string().startsWith('scrypt$'), permission }))
    .default([]),
});

/** Parse the JSON auth file format. */
export function parseAuthConfig(json: unknown, source: string): AuthConfig {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidParameterError(
      `Auth config ${source}: ${issue?.message ?? 'invalid'} at '${issue?.path.join('.') ?? ''}'. ` +
        'Expected {"users":[{"username","password_hash":"scrypt$…","permission":"read|write"}],"tokens":[…]}; make hashes with `propflow server-passwd`.',
    );
  }
  return {
    users: parsed.data.users.map((u) => ({
      username: u.username,
      passwordHash: u.password_hash,
      permission: u.permission,
    })),
    tokens: parsed.data.tokens.map((t) => ({
      name: t.name,
      tokenHash: t.token_hash,
      permission: t.permission,
    })),
  };
}

function parseEnvList(raw: string | undefined, variable: string): Array<[string, string, Permission]> {
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const [name, hash, perm] = entry.split(':');
      const p = permission.safeParse(perm ?? 'write');
      if (!name || !hash?.startsWith('scrypt$') || !p.success) {
        throw new InvalidParameterError(
          `${variable}: entry '${entry.slice(0, 40)}' must be <name>:<scrypt hash>:<read|write>; make hashes with \`propflow server-passwd\`.`,
        );
      }
      return [name, hash, p.data];
    });
}

/** Load users and tokens from a JSON file and/or `PROPFLOW_SERVER_USERS` / `PROPFLOW_SERVER_TOKENS`. */
export function loadAuthConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const config: AuthConfig = { users: [], tokens: [] };
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InvalidParameterError(`Cannot read the auth file '${file}': ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InvalidParameterError(`The auth file '${file}' is not valid JSON: ${(err as Error).message}`);
    }
    const fromFile = parseAuthConfig(json, `'${file}'`);
    config.users.push(...fromFile.users);
    config.tokens.push(...fromFile.tokens);
  }
  for (const [username, passwordHash, p] of parseEnvList(
    env['PROPFLOW_SERVER_USERS'],
    'PROPFLOW_SERVER_USERS',
  )) {
    config.users.push({ username, passwordHash, permission: p });
  }
  for (const [name, tokenHash, p] of parseEnvList(env['PROPFLOW_SERVER_TOKENS'], 'PROPFLOW_SERVER_TOKENS')) {
    config.tokens.push({ name, tokenHash, permission: p });
  }
  if (config.users.length === 0 && config.tokens.length === 0) {
    throw new InvalidParameterError(
      'Authentication is on but no users or tokens are configured: pass --auth-file or set PROPFLOW_SERVER_USERS / PROPFLOW_SERVER_TOKENS.',
    );
  }
  return config;
}

let dummyHash: string | undefined;

/**
 * Checks credentials from an `Authorization` header. Successful checks are cached by header
 * value (scrypt is deliberately slow), failures are not.
 */
export class Authenticator {
  private readonly cache = new Map<string, Principal>();

  constructor(private readonly config: AuthConfig) {}

  authenticate(header: string | undefined): Principal | null {
    if (!header) return null;
    const cached = this.cache.get(header);
    if (cached) return cached;
    const principal = this.check(header);
    if (principal) {
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(header, principal);
    }
    return principal;
  }

  private check(header: string): Principal | null {
    const [scheme, value] = header.trim().split(/\s+/, 2);
    if (!scheme || !value) return null;
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return null;
      const username = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      const user = this.config.users.find((u) => u.username === username);
      // An unknown user costs the same scrypt work as a wrong password (no user enumeration by timing).
      if (!user) {
        dummyHash ??= hashSecret('propflow-no-such-user');
        verifySecret(password, dummyHash);
        return null;
      }
      if (!verifySecret(password, user.passwordHash)) return null;
      return { name: user.username, permission: user.permission };
    }
    if (scheme.toLowerCase() === 'bearer') {
      for (const token of this.config.tokens) {
        if (verifySecret(value, token.tokenHash)) return { name: token.name, permission: token.permission };
      }
    }
    return null;
  }
}
