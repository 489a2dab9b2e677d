import { describe, expect, it } from 'vitest';
import { keysProblem, parseLines, patternsProblem, sameList } from '../src/lib/scrub';

describe('parseLines', () => {
  it('takes one entry per line, trimmed, without empty lines or repeats', () => {
    expect(parseLines('  ORD-\\d{6}  \n\n\r\nfoo, bar\r\n  \nORD-\\d{6}\n')).toEqual(['ORD-\\d{6}', 'foo, bar']);
    expect(parseLines('')).toEqual([]);
    expect(parseLines(' \n \t ')).toEqual([]);
  });
  it('keeps commas inside a line: a pattern may hold one (a{2,3})', () => {
    expect(parseLines('a{2,3}\ntoken')).toEqual(['a{2,3}', 'token']);
  });
});

describe('the server limits', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`);
  it('allows 50 patterns of 1000 bytes, not more', () => {
    expect(patternsProblem([])).toBeNull();
    expect(patternsProblem(many(50))).toBeNull();
    expect(patternsProblem(many(51))).toBe('At most 50 patterns (51 given).');
    expect(patternsProblem(['x'.repeat(1000)])).toBeNull();
    expect(patternsProblem(['x'.repeat(1001)])).toContain('at most 1000 bytes');
  });
  it('allows 100 keys of 100 bytes, not more', () => {
    expect(keysProblem(many(100))).toBeNull();
    expect(keysProblem(many(101))).toBe('At most 100 query keys (101 given).');
    expect(keysProblem(['k'.repeat(100)])).toBeNull();
    expect(keysProblem(['k'.repeat(101)])).toContain('at most 100 bytes');
  });
  // the server measures String::len, UTF-8 bytes: 50 × "é" is 100 bytes, 51 is over
  it('counts UTF-8 bytes as the server does', () => {
    expect(keysProblem(['é'.repeat(50)])).toBeNull();
    expect(keysProblem(['é'.repeat(51)])).not.toBeNull();
  });
});

describe('sameList', () => {
  it('compares entries and their order', () => {
    expect(sameList(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(sameList(['a', 'b'], ['b', 'a'])).toBe(false);
    expect(sameList([], ['a'])).toBe(false);
  });
});
