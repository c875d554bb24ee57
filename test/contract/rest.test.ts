/**
 * The store contract through the REST store against a real, listening `propflow server`
 * (embedded store behind it) on 127.0.0.1 and a random port.
 */
import { startLiveRestStore } from '../server/helpers.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('REST store → propflow server', async () => {
  const { store, cleanup } = await startLiveRestStore('pf-contract-rest-');
  return { store, cleanup };
});
