/**
 * Data: canonical columnar tables, ingest of NBA game logs and prop lines, dataset versioning,
 * storage (Arrow IPC) and the synthetic league. Pure computation plus file reads and writes.
 */

export { combineTables, expandInputs, type TablePart } from './combine.js';
export { decodeUtf8, parseCsvText, readCsv } from './csv.js';
export { deriveTeamGames } from './derive.js';
export { type DatasetVersion, datasetVersion, HASH_ALGORITHM, nullCounts, tableHash } from './hash.js';
export {
  type IngestReport,
  MAX_PLAYER_MINUTES,
  MAX_TEAM_MINUTES,
  playerGamesFromCsv,
  readPlayerGames,
  readTeamGames,
  teamGamesFromCsv,
} from './ingest.js';
export {
  americanToDecimal,
  consensusLine,
  consensusLines,
  propLinesFromCsv,
  readPropLines,
} from './lines.js';
export {
  appendToDataset,
  compareTeamTotals,
  type IngestOptions,
  ingestFiles,
  openDataset,
} from './load.js';
export {
  type ColumnMapping,
  type FieldSpec,
  LINE_FIELDS,
  PLAYER_FIELDS,
  parseMapping,
  readMappingFile,
  TEAM_FIELDS,
} from './mapping.js';
export {
  type AnyTable,
  type ColumnSpec,
  type ColumnType,
  type ConsensusLines,
  filterRows,
  formatDay,
  type GameColumns,
  OPTIONAL_STATS,
  type OptionalStat,
  type PlayerGames,
  type PropLines,
  parseGameDate,
  parseIsoDay,
  presentColumns,
  seasonLabel,
  seasonOfDay,
  type TableKind,
  type TeamGames,
  takeRows,
  toEpochDay,
} from './schema.js';
export {
  type Dataset,
  type DatasetManifest,
  fromArrow,
  readArrowTable,
  readDataset,
  toArrow,
  versionOf,
  writeDataset,
} from './storage.js';
export { type BucketSummary, type LeagueSummary, leagueSummary, MINUTES_BUCKETS } from './summary.js';
export { Rng, type SynthOptions, synthesizeLeague, TEAMS } from './synth.js';
