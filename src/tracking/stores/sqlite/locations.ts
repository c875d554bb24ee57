/**
 * Where the embedded store puts artifacts: the default location of an experiment (an
 * `mlflow-artifacts:/` URI behind a server, a `file://` URI of the local folder otherwise) and
 * the local folder an artifact URI points to.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PropflowError } from '../../../errors.js';
import { normalizeArtifactPath } from '../../artifacts/local.js';
import { joinUri } from './rows.js';

export class ArtifactLocations {
  constructor(
    readonly artifactRoot: string,
    readonly artifactUriBase: string | undefined,
  ) {}

  /** Where an experiment created without an artifact location keeps its artifacts. */
  defaultArtifactLocation(experimentId: string): string {
    if (this.artifactUriBase === 'mlflow-artifacts:') return `mlflow-artifacts:/${experimentId}`;
    if (this.artifactUriBase) return joinUri(this.artifactUriBase, experimentId);
    return pathToFileURL(path.join(this.artifactRoot, experimentId)).href;
  }

  /**
   * The local folder an artifact URI points to: `mlflow-artifacts:/x` → `<root>/x`,
   * `file://…` and plain paths as they are. Other schemes are not stored locally.
   */
  localPathOf(uri: string): string {
    if (uri.startsWith('mlflow-artifacts:')) {
      const rest = uri.slice('mlflow-artifacts:'.length).replace(/^\/+/, '');
      const rel = normalizeArtifactPath(rest, 'artifact location');
      return rel === '' ? this.artifactRoot : path.join(this.artifactRoot, ...rel.split('/'));
    }
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    if (path.isAbsolute(uri)) return uri;
    if (!/^[a-zA-Z][\w+.-]*:/.test(uri)) return path.resolve(uri);
    throw new PropflowError(
      `The embedded store keeps artifacts in local folders only; '${uri}' is not one. Use a file path, a file:// URI, or a tracking server for remote artifact stores.`,
      'NOT_IMPLEMENTED',
    );
  }
}
