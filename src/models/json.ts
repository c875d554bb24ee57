/** Helpers the model loaders share: zod issues as one message, JSON text parsed with its source named. */
import type { z } from 'zod';
import { DataError } from '../errors.js';

/** `path: message; …` for each issue (at most `max`); an issue at the top names itself `root`. */
export function describeIssues(err: z.ZodError, root = '(root)', max = Number.POSITIVE_INFINITY): string {
  return err.issues
    .slice(0, max)
    .map((i) => `${i.path.join('.') || root}: ${i.message}`)
    .join('; ');
}

/** `JSON.parse`, failing with a `DataError` that names `source`. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(`${source}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}
