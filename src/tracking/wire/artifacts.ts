/**
 * Paths of the mlflow-artifacts API (`/api/2.0/mlflow-artifacts/artifacts/<path>`) and the
 * `mlflow-artifacts:` URIs that name them, for the server that serves them and the REST store
 * that calls them. A path is decoded once, refused when it still carries percent-encoded dots,
 * slashes, backslashes or NULs (double encoding), and normalised relative to the artifact root.
 */
import { InvalidParameterError } from '../../errors.js';
import { normalizeArtifactPath } from '../artifacts/local.js';

const DOUBLE_ENCODED = /%(2e|2f|5c|00|25)/i;

/** Decode a percent-encoded artifact path from a URL once and check it, giving a normalised relative path. */
export function decodeArtifactPath(raw: string, what = 'artifact path'): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new InvalidParameterError(`Invalid ${what} '${raw}': it is not valid percent-encoding.`);
  }
  return checkArtifactPath(decoded, what);
}

/** Check an already decoded relative path (also refusing leftovers of double encoding). */
export function checkArtifactPath(decoded: string, what = 'artifact path'): string {
  if (DOUBLE_ENCODED.test(decoded)) {
    throw new InvalidParameterError(
      `Invalid ${what} '${decoded}': it contains percent-encoded characters after decoding (double encoding is refused).`,
    );
  }
  return normalizeArtifactPath(decoded, what);
}

/** Relative path under the artifact root for an `mlflow-artifacts:` URI, or null for other schemes. */
export function mlflowArtifactsPath(uri: string): string | null {
  if (!uri.startsWith('mlflow-artifacts:')) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new InvalidParameterError(`Invalid artifact URI '${uri}'.`);
  }
  return decodeArtifactPath(url.pathname.replace(/^\/+/, ''), `artifact URI '${uri}'`);
}
