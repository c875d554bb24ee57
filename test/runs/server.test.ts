/** The runs suite through the REST store against a live `propflow server` on loopback. */
import { startLiveRestStore } from '../server/helpers.js';
import { describeRunsSuite } from './suite.js';

describeRunsSuite('REST store → live propflow server', () => startLiveRestStore('pf-runs-rest-'));
