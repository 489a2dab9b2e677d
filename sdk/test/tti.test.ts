// TTI is an estimate from long tasks: where the browser cannot report them
// (Firefox, Safari) there is none, rather than a copy of FCP.
import './dom.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTTI } from '../src/tti.js';

describe('time to interactive', () => {
  it('is absent where long tasks cannot be observed, never a copy of FCP', async () => {
    const types: readonly string[] = (globalThis as { PerformanceObserver?: { supportedEntryTypes?: readonly string[] } }).PerformanceObserver?.supportedEntryTypes ?? [];
    assert.ok(!types.includes('longtask'), 'this DOM reports no long tasks, like Firefox and Safari');
    const reported: number[] = [];
    // FCP at 1 ms: without long tasks, the first quiet window ends at 5 s
    startTTI(1, (tti) => reported.push(tti));
    await new Promise((r) => setTimeout(r, Math.max(0, 5_200 - performance.now())));
    assert.deepEqual(reported, [], 'no estimate, not FCP');
  });
});
