import { describe, expect, it } from 'vitest';
import { tabIds, tabKeyTarget } from '../src/lib/tabs';

describe('tabKeyTarget', () => {
  it('moves along the strip with the arrows, wrapping at the ends', () => {
    expect(tabKeyTarget('ArrowRight', 0, 3)).toBe(1);
    expect(tabKeyTarget('ArrowRight', 2, 3)).toBe(0);
    expect(tabKeyTarget('ArrowLeft', 1, 3)).toBe(0);
    expect(tabKeyTarget('ArrowLeft', 0, 3)).toBe(2);
  });
  it('jumps to the ends with Home and End', () => {
    expect(tabKeyTarget('Home', 2, 3)).toBe(0);
    expect(tabKeyTarget('End', 0, 3)).toBe(2);
  });
  it('leaves other keys to the browser', () => {
    for (const key of ['Tab', 'Enter', ' ', 'ArrowUp', 'ArrowDown', 'a']) expect(tabKeyTarget(key, 1, 3)).toBeNull();
  });
  it('has nowhere to go in an empty strip, and stays put in a strip of one', () => {
    expect(tabKeyTarget('ArrowRight', 0, 0)).toBeNull();
    expect(tabKeyTarget('ArrowRight', 0, 1)).toBe(0);
    expect(tabKeyTarget('ArrowLeft', 0, 1)).toBe(0);
  });
});

describe('tabIds', () => {
  it('ties each tab to the one panel', () => {
    const ids = tabIds('metric');
    expect(ids.tab('lcp')).toBe('metric-tab-lcp');
    expect(ids.panel).toBe('metric-panel');
  });
});
