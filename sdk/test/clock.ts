// Mock timers and Date from the start: rrweb captures `Date.now` when its
// module loads (event timestamps, checkoutEveryNms), so this must be imported
// before anything that imports rrweb. Enabled once: Node 20's mock timers do
// not fire after a reset and re-enable.
import { mock } from 'node:test';

export const T0 = 1_764_100_000_000;
mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
