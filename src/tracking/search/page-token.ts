/**
 * Page tokens: base64 of `{"offset": n}`, the same opaque shape MLflow's SQL store uses.
 */
import { InvalidParameterError } from '../../errors.js';

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64');
}

/** The offset a token stands for; `0` without a token. */
export function decodePageToken(token: string | undefined | null): number {
  if (token === undefined || token === null || token === '') return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw new InvalidParameterError(
      `Invalid page token '${token}': could not decode it. Pass the next_page_token of the previous page unchanged.`,
    );
  }
  const offset = (parsed as { offset?: unknown } | null)?.offset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new InvalidParameterError(
      `Invalid page token '${token}': it has no valid offset. Pass the next_page_token of the previous page unchanged.`,
    );
  }
  return offset;
}

/** Slice one page out of a full, ordered list. */
export function paginate<T>(
  all: readonly T[],
  maxResults: number,
  pageToken: string | undefined,
): { items: T[]; nextPageToken?: string } {
  const offset = decodePageToken(pageToken);
  const items = all.slice(offset, offset + maxResults);
  const end = offset + items.length;
  return end < all.length ? { items, nextPageToken: encodePageToken(end) } : { items };
}
