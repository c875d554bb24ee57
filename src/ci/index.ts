/**
 * CI/CD for a team: the steps of `templates/github/propflow-train.yml` as functions
 * (`propflow ci …` calls them) and GitHub Actions' output and summary files. The only
 * entrance to `src/ci/`.
 */
export { appendJobSummary, parseStepOutputs, writeStepOutputs } from './outputs.js';
export {
  type GateOptions,
  gateStep,
  promoteStep,
  type StepOutcome,
  summaryStep,
  trainStep,
} from './steps.js';
