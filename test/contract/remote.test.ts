/**
 * The store contract against any MLflow-compatible server:
 * `PROPFLOW_TEST_TRACKING_URI=http://host:port npm run test:contract`. Skipped without it.
 * Auth comes from MLFLOW_TRACKING_USERNAME/_PASSWORD or MLFLOW_TRACKING_TOKEN.
 */
import { describe, it } from 'vitest';
import { openStore } from '../../src/tracking/index.js';
import { describeStoreContract } from './store-contract.js';

const uri = process.env.PROPFLOW_TEST_TRACKING_URI;

if (uri) {
  describeStoreContract(`remote ${uri}`, async () => {
    const store = await openStore(uri);
    return { store, cleanup: () => store.close() };
  });
} else {
  describe('TrackingStore contract: remote server', () => {
    it.skip('needs PROPFLOW_TEST_TRACKING_URI=http://host:port pointing at an MLflow-compatible server', () => {});
  });
}
