import { describe, expect, it } from 'vitest';
import { actionKey, actionLabel, actionOrderParam, parseActionOrder, shortId } from '../src/lib/actions';

describe('action order', () => {
  it('parses ?order=, defaulting to count', () => {
    expect(parseActionOrder('count')).toBe('count');
    expect(parseActionOrder('frustration_rate')).toBe('frustration_rate');
    expect(parseActionOrder(null)).toBe('count');
    expect(parseActionOrder(undefined)).toBe('count');
    expect(parseActionOrder('')).toBe('count');
    expect(parseActionOrder('frustration')).toBe('count');
    expect(parseActionOrder('Count')).toBe('count');
    expect(parseActionOrder('toString')).toBe('count');
  });

  it('leaves the default out of URLs', () => {
    expect(actionOrderParam('count')).toBeNull();
    expect(actionOrderParam('frustration_rate')).toBe('frustration_rate');
  });
});

describe('actionLabel', () => {
  it('prefers the name, then the selector', () => {
    expect(actionLabel({ name: 'Pay now', target: 'button#pay.btn' })).toBe('Pay now');
    expect(actionLabel({ name: null, target: 'button#pay.btn' })).toBe('button#pay.btn');
    expect(actionLabel({ name: null, target: null })).toBe('—');
  });
});

describe('actionKey', () => {
  const row = { route: '/a', action_type: 'click' as const, name: 'x', target: null };
  it('tells rows apart', () => {
    expect(actionKey(row)).toBe(actionKey({ ...row }));
    expect(actionKey(row)).not.toBe(actionKey({ ...row, target: '' }));
    expect(actionKey(row)).not.toBe(actionKey({ ...row, action_type: 'custom' }));
    expect(actionKey({ ...row, name: 'a', target: 'b c' })).not.toBe(actionKey({ ...row, name: 'a b', target: 'c' }));
  });
});

describe('shortId', () => {
  it('keeps the start of long ids', () => {
    expect(shortId('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe('0f8fad5b');
    expect(shortId('s-abc')).toBe('s-abc');
  });
});
