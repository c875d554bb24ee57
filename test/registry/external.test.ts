import { describe, it } from 'vitest';
import { openStore } from '../../src/tracking/index.js';
import { registryWorkflowSuite } from './workflow.js';

// Point the suite at any MLflow server: PROPFLOW_TEST_TRACKING_URI=http://host:5000 npm test
const uri = process.env['PROPFLOW_TEST_TRACKING_URI'];
if (uri) {
  registryWorkflowSuite(`tracking server ${uri}`, async () => ({ open: () => openStore(uri) }));
} else {
  describe('registry workflow (PROPFLOW_TEST_TRACKING_URI)', () => {
    it.skip('runs only when PROPFLOW_TEST_TRACKING_URI names a tracking server', () => {});
  });
}
