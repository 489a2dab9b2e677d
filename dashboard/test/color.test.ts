import { describe, expect, it } from 'vitest';
import { contrastRatio, parseHex, readChartColors, withAlpha } from '../src/lib/color';

describe('parseHex', () => {
  it('reads #rgb and #rrggbb, nothing else', () => {
    expect(parseHex('#2f5bd3')).toEqual([47, 91, 211]);
    expect(parseHex(' #FFF ')).toEqual([255, 255, 255]);
    expect(parseHex('rgb(1, 2, 3)')).toBeNull();
    expect(parseHex('#12345')).toBeNull();
    expect(parseHex('')).toBeNull();
  });
});

describe('contrastRatio', () => {
  it('matches the WCAG definition', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrastRatio('#2f5bd3', '#2f5bd3')).toBe(1);
  });
  it('is NaN for a colour it cannot read', () => {
    expect(contrastRatio('var(--x)', '#fff')).toBeNaN();
  });
});

describe('withAlpha', () => {
  it('turns a hex colour into rgba(), leaves others alone', () => {
    expect(withAlpha('#2f5bd3', 0.1)).toBe('rgba(47, 91, 211, 0.1)');
    expect(withAlpha('rgba(1, 2, 3, 0.5)', 0.1)).toBe('rgba(1, 2, 3, 0.5)');
  });
});

describe('readChartColors', () => {
  it('reads the --chart-* variables and derives the fills', () => {
    const css: Record<string, string> = { '--chart-line': ' #86a6ff', '--chart-poor': '#ff7a70', '--chart-axis': '#9ba5b9' };
    const c = readChartColors((name) => css[name] ?? '');
    expect(c.line).toBe('#86a6ff');
    expect(c.lineFill).toBe('rgba(134, 166, 255, 0.1)');
    expect(c.barFill).toBe('rgba(134, 166, 255, 0.55)');
    expect(c.poor).toBe('#ff7a70');
    expect(c.poorFill).toBe('rgba(255, 122, 112, 0.75)');
    expect(c.axis).toBe('#9ba5b9');
  });
  it('falls back to the light theme without a stylesheet', () => {
    const c = readChartColors(() => '');
    expect(c.line).toBe('#2f5bd3');
    expect(c.grid).toBe('#eceff3');
    expect(c.good).toBe('#0a8f5a');
  });
});
