/** Run artifacts of the embedded store: files below each run's local artifact folder. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../../errors.js';
import { LocalArtifactRepository, normalizeArtifactPath } from '../../artifacts/local.js';
import type { FileInfo } from '../../entities.js';
import type { ArtifactLocations } from './locations.js';
import type { RunTables } from './runs.js';

export class RunArtifacts {
  constructor(
    private readonly locations: ArtifactLocations,
    private readonly runs: RunTables,
  ) {}

  /** The artifact folder of a run, as a repository confined to it. */
  runArtifacts(runId: string): LocalArtifactRepository {
    const row = this.runs.runRow(runId);
    return new LocalArtifactRepository(this.locations.localPathOf(row.artifact_uri));
  }

  async logArtifact(runId: string, artifactPath: string, content: Uint8Array | string): Promise<void> {
    // The repository creates the run's folder with the first file.
    await this.runArtifacts(runId).write(artifactPath, content);
  }

  async logArtifactsFrom(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    const repo = this.runArtifacts(runId);
    const dir = normalizeArtifactPath(artifactPath);
    // A folder's contents go under `dir`, a file keeps its name there; `copyFrom` reports a missing path.
    const info = await stat(localPath).catch(() => null);
    if (!info || info.isDirectory()) await repo.copyFrom(localPath, dir);
    else
      await repo.copyFrom(
        localPath,
        dir === '' ? path.basename(localPath) : `${dir}/${path.basename(localPath)}`,
      );
  }

  async listArtifacts(runId: string, artifactPath?: string): Promise<FileInfo[]> {
    return this.runArtifacts(runId).list(artifactPath);
  }

  async downloadArtifact(runId: string, artifactPath: string): Promise<Uint8Array> {
    const repo = this.runArtifacts(runId);
    try {
      return await repo.read(artifactPath);
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw new NotFoundError(
          `Artifact '${normalizeArtifactPath(artifactPath)}' not found in run ${runId}. List the run's artifacts to see what exists.`,
        );
      }
      throw err;
    }
  }
}
