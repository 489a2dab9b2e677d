import { describe, expect, it } from 'vitest';
import { frameFunction, framePosition, layoutFrames, needsSourceMaps, numberContext } from '../src/lib/stack';
import type { StackFrame } from '../src/lib/types';

function frame(over: Partial<StackFrame> = {}): StackFrame {
  return { function: 'f', file: 'src/cart.ts', line: 10, column: 5, in_app: true, context: null, minified: null, ...over };
}

const ctx = { pre: ['a', 'b', 'c'], line: 'boom()', post: ['d', 'e'] };

describe('numberContext', () => {
  it('numbers pre lines up to the frame line, which is current, then post lines', () => {
    expect(numberContext(ctx, 10)).toEqual([
      { n: 7, text: 'a', current: false },
      { n: 8, text: 'b', current: false },
      { n: 9, text: 'c', current: false },
      { n: 10, text: 'boom()', current: true },
      { n: 11, text: 'd', current: false },
      { n: 12, text: 'e', current: false },
    ]);
  });
  it('handles a frame at the top of its file with nothing around it', () => {
    expect(numberContext({ pre: [], line: 'x', post: [] }, 1)).toEqual([{ n: 1, text: 'x', current: true }]);
  });
});

describe('frame labels', () => {
  it('names anonymous functions and joins the position', () => {
    expect(frameFunction({ function: null })).toBe('<anonymous>');
    expect(frameFunction({ function: '' })).toBe('<anonymous>');
    expect(frameFunction({ function: 'checkout' })).toBe('checkout');
    expect(framePosition({ file: 'https://shop.test/app.js', line: 1, column: 2345 })).toBe('https://shop.test/app.js:1:2345');
  });
});

describe('layoutFrames', () => {
  it('opens in-app frames with source and folds each run of dependency frames', () => {
    const frames = [
      frame({ context: ctx }),
      frame({ in_app: false }),
      frame({ in_app: false }),
      frame({ context: null }),
      frame({ in_app: false, context: ctx }),
    ];
    expect(layoutFrames(frames)).toEqual([
      { kind: 'frame', index: 0, open: true },
      { kind: 'folded', from: 1, to: 3 },
      { kind: 'frame', index: 3, open: false },
      { kind: 'folded', from: 4, to: 5 },
    ]);
  });
  it('shows a stack without in-app frames whole, the innermost open when it has source', () => {
    const frames = [frame({ in_app: false, context: ctx }), frame({ in_app: false, context: ctx })];
    expect(layoutFrames(frames)).toEqual([
      { kind: 'frame', index: 0, open: true },
      { kind: 'frame', index: 1, open: false },
    ]);
    expect(layoutFrames([frame({ in_app: false })])).toEqual([{ kind: 'frame', index: 0, open: false }]);
  });
  it('has nothing to lay out for no frames', () => {
    expect(layoutFrames([])).toEqual([]);
  });
});

describe('needsSourceMaps', () => {
  const minifiedFrame = frame({ file: 'https://shop.test/assets/index-B3x9.js', line: 1, column: 48213 });
  it('asks for maps when nothing was mapped and a frame is in a minified file', () => {
    expect(needsSourceMaps([minifiedFrame])).toBe(true);
    expect(needsSourceMaps([frame({ file: 'https://cdn.test/vendor.min.js', line: 3, column: 12 })])).toBe(true);
    expect(needsSourceMaps([frame({ file: 'https://cdn.test/vendor.min.mjs?v=2', line: 3, column: 12 })])).toBe(true);
  });
  it('stays quiet when any frame was mapped', () => {
    const mapped = frame({ minified: { function: 'a', file: 'https://shop.test/app.js', line: 1, column: 900 } });
    expect(needsSourceMaps([mapped, minifiedFrame])).toBe(false);
  });
  it('stays quiet for readable code and empty stacks', () => {
    expect(needsSourceMaps([frame({ file: 'https://shop.test/app.js', line: 10, column: 5 })])).toBe(false);
    expect(needsSourceMaps([frame({ file: 'https://shop.test/administration.js', column: 200 })])).toBe(false);
    expect(needsSourceMaps([])).toBe(false);
  });
});
