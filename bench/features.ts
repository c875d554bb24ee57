/**
 * Ingest all player game logs in ../shared/data/nba (or a file given as the first argument) and
 * build the v3_advanced feature matrix. Prints progress to stderr and, last, one JSON line:
 * {"bench":"features","ingest_s":…,"build_s":…,"rows":…}
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPlayerGames } from '../src/data/index.js';
import { buildFeatures, V3_ADVANCED } from '../src/features/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const file =
  process.argv[2] ?? path.resolve(here, '../../shared/data/nba/player_game_logs_2015-16_to_2023-24.csv.gz');

let t = performance.now();
const { table } = readPlayerGames(file);
const ingestS = (performance.now() - t) / 1000;
process.stderr.write(`ingest: ${table.n} player-games in ${ingestS.toFixed(2)} s (${file})\n`);

t = performance.now();
const m = buildFeatures(table, V3_ADVANCED);
const buildS = (performance.now() - t) / 1000;
process.stderr.write(`build ${V3_ADVANCED.name}: ${m.nRows} × ${m.nCols} in ${buildS.toFixed(2)} s\n`);

process.stdout.write(
  `${JSON.stringify({
    bench: 'features',
    ingest_s: Number(ingestS.toFixed(3)),
    build_s: Number(buildS.toFixed(3)),
    rows: m.nRows,
    cols: m.nCols,
    total_s: Number((ingestS + buildS).toFixed(3)),
  })}\n`,
);
