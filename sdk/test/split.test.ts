import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { split } from '../src/lib/split.js';

describe('split', () => {
  it('rounds phases so that they add up to the rounded total', () => {
    for (const parts of [[0.4, 0.4, 0.4, 0.4], [120.6, 0.5, 899.5, 1.49], [10, 50, 36], [0.2, 0.2, 0.2]]) {
      const r = split(parts);
      assert.equal(r.reduce((a, b) => a + b, 0), Math.round(parts.reduce((a, b) => a + b, 0)), String(parts));
      r.forEach((x, i) => assert.ok(Math.abs(x - parts[i]!) <= 1, `${x} is within 1 of ${parts[i]}`));
    }
  });
});
