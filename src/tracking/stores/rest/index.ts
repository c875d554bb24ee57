/**
 * MLflow REST store: `openRestStore('http://host:port')` gives a `TrackingStore` (plus MLflow 3
 * logged models) talking to a real MLflow tracking server or to `propflow server`.
 */
import type { LoggedModelStore, TrackingStore } from '../../store.js';
import type { RestStoreOptions } from './client.js';
import { RestStore } from './store.js';

export type { RestStoreOptions, RetryOptions } from './client.js';
export { chunkBatch, LOG_BATCH_LIMITS, RestStore } from './store.js';

/** Open a REST store for an `http(s)://` tracking URI. Nothing is contacted until the first call. */
export async function openRestStore(
  uri: string,
  options: RestStoreOptions = {},
): Promise<TrackingStore & LoggedModelStore> {
  return new RestStore(uri, options);
}
