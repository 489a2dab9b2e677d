// @vitest-environment jsdom
// The issue page's stack under a DOM: what is open, what folds, and that
// frames and source lines from a browser or a source map stay text.
import { h, render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { StackTrace } from '../src/components/StackTrace';
import type { StackFrame } from '../src/lib/types';
import { unmount } from './page';

const HOSTILE = '<img src=x onerror="window.pwned=1">';
const RAW = `TypeError: x is undefined\n    at ${HOSTILE} (https://shop.test/assets/index-B3x9.js:1:48213)`;

function frame(over: Partial<StackFrame> = {}): StackFrame {
  return { function: 'checkout', file: 'src/cart.ts', line: 12, column: 7, in_app: true, context: null, minified: null, ...over };
}

let root: HTMLElement;
function mount(props: { stack: string | null; frames: StackFrame[]; release: string | null }) {
  root = document.createElement('div');
  document.body.append(root);
  act(() => render(h(StackTrace, props), root));
  return root;
}
afterEach(() => unmount(root));

describe('StackTrace', () => {
  it('keeps the raw stack, closed, with exactly its text', () => {
    const el = mount({ stack: RAW, frames: [frame()], release: '1.2.3' });
    expect(el.querySelector('[data-testid=stack]')!.textContent).toBe(RAW);
    expect(el.querySelector<HTMLDetailsElement>('details.raw-stack')!.open).toBe(false);
    expect(el.querySelector('img')).toBeNull();
  });

  it('opens the raw stack when no frame was parsed from it', () => {
    const el = mount({ stack: RAW, frames: [], release: null });
    expect(el.querySelector<HTMLDetailsElement>('details.raw-stack')!.open).toBe(true);
    expect(el.querySelector('[data-testid=frames]')).toBeNull();
  });

  it('shows a mapped in-app frame open with numbered source, the line highlighted', () => {
    const f = frame({
      function: null,
      context: { pre: ['const a = 1;', HOSTILE], line: 'cart.total.toFixed(2)', post: ['}'] },
      minified: { function: 'n', file: 'https://shop.test/assets/index-B3x9.js', line: 1, column: 48213 },
    });
    const el = mount({ stack: RAW, frames: [f], release: '1.2.3' });
    const li = el.querySelector('[data-testid=frame]')!;
    expect(li.querySelector('.frame-fn')!.textContent).toBe('<anonymous>');
    expect(li.querySelector('.frame-pos')!.textContent).toBe('src/cart.ts:12:7');
    expect(li.querySelector('.frame-from')!.textContent).toBe('from https://shop.test/assets/index-B3x9.js:1:48213');
    expect(li.querySelector('details')!.open).toBe(true);
    const lines = [...li.querySelectorAll('.code-line')].map((l) => [l.querySelector('.ln')!.textContent, l.querySelector('.code-text')!.textContent]);
    expect(lines).toEqual([
      ['10', 'const a = 1;'],
      ['11', HOSTILE],
      ['12', 'cart.total.toFixed(2)'],
      ['13', '}'],
    ]);
    expect(li.querySelector('.code-line.current .ln')!.textContent).toBe('12');
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelector('[data-testid=symbolicate-hint]')).toBeNull();
  });

  it('folds dependency frames behind "Show N more frames"', () => {
    const deps = [frame({ in_app: false, file: 'node_modules/react-dom.js' }), frame({ in_app: false, file: 'node_modules/react.js' })];
    const el = mount({ stack: null, frames: [frame(), ...deps, frame()], release: null });
    expect(el.querySelectorAll('[data-testid=frame]')).toHaveLength(2);
    const button = el.querySelector<HTMLButtonElement>('.frame-fold button')!;
    expect(button.textContent).toBe('Show 2 more frames');
    act(() => button.click());
    expect(el.querySelectorAll('[data-testid=frame]')).toHaveLength(4);
    expect(button.textContent).toBe('Hide 2 frames');
    expect(el.querySelector('[data-testid=stack]')).toBeNull();
  });

  it('says how to symbolicate a minified stack nothing mapped, naming the release', () => {
    const f = frame({ file: 'https://shop.test/assets/index-B3x9.js', line: 1, column: 48213 });
    const el = mount({ stack: RAW, frames: [f], release: '1.2.3' });
    expect(el.querySelector('[data-testid=symbolicate-hint]')!.textContent).toBe(
      'Stack not symbolicated: upload the source maps of release 1.2.3 with fovea sourcemaps upload (docs/errors.md).',
    );
  });

  it('says there is no stack when there is none', () => {
    const el = mount({ stack: null, frames: [], release: null });
    expect(el.textContent).toContain('No stack trace');
  });
});
