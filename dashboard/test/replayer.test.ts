// @vitest-environment jsdom
// The recorded page is untrusted: the player must rebuild it in an iframe
// sandboxed without allow-scripts, and nothing we pass may turn that off.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createReplayer, REPLAYER_OPTIONS, type Replayer } from '../src/lib/replayer';
import type { RrwebEvent } from '../src/lib/replay';

const T = 1_764_100_000_000;

/** A page whose snapshot carries a script, an onerror handler and a javascript: link. */
const HOSTILE: RrwebEvent[] = [
  { type: 4, timestamp: T, data: { href: 'https://shop.example/', width: 800, height: 600 } },
  {
    type: 2,
    timestamp: T + 1,
    data: {
      initialOffset: { left: 0, top: 0 },
      node: {
        type: 0,
        id: 1,
        childNodes: [
          {
            type: 2,
            tagName: 'html',
            id: 2,
            attributes: {},
            childNodes: [
              { type: 2, tagName: 'head', id: 3, attributes: {}, childNodes: [] },
              {
                type: 2,
                tagName: 'body',
                id: 4,
                attributes: {},
                childNodes: [
                  { type: 2, tagName: 'script', id: 5, attributes: {}, childNodes: [{ type: 3, id: 6, textContent: 'parent.pwned = 1' }] },
                  { type: 2, tagName: 'img', id: 7, attributes: { src: 'x', onerror: 'parent.pwned = 2' }, childNodes: [] },
                  { type: 2, tagName: 'a', id: 8, attributes: { href: 'javascript:parent.pwned=3' }, childNodes: [] },
                ],
              },
            ],
          },
        ],
      },
    },
  },
  { type: 3, timestamp: T + 1000, data: { source: 1, positions: [{ x: 1, y: 1, id: 4, timeOffset: 0 }] } },
];

// jsdom lacks HTMLIFrameElement.sandbox (a token list in browsers), which rrweb
// reads before it rebuilds a page; this one reflects the attribute, as browsers do.
const proto = HTMLIFrameElement.prototype as unknown as Record<string, unknown>;
beforeAll(() => {
  Object.defineProperty(proto, 'sandbox', {
    configurable: true,
    get(this: HTMLIFrameElement) {
      return (this.getAttribute('sandbox') ?? '').split(' ').filter(Boolean);
    },
  });
});
afterAll(() => {
  delete proto.sandbox;
});

let replayer: Replayer | null = null;
afterEach(() => {
  replayer?.destroy();
  replayer = null;
  document.body.replaceChildren();
});

function mount(): { root: HTMLElement; iframe: HTMLIFrameElement } {
  const root = document.createElement('div');
  document.body.appendChild(root);
  replayer = createReplayer(root, HOSTILE);
  const iframe = root.querySelector('iframe');
  if (!iframe?.contentWindow) throw new Error('no iframe');
  // jsdom does not implement scrolling, which the rebuild calls.
  iframe.contentWindow.scrollTo = () => {};
  return { root, iframe };
}

describe('replayer', () => {
  it('passes no option that lets recorded scripts run', () => {
    expect(REPLAYER_OPTIONS).not.toHaveProperty('UNSAFE_replayCanvas');
    expect(JSON.stringify(REPLAYER_OPTIONS)).not.toMatch(/UNSAFE|allow-scripts/);
    mount();
    expect(replayer?.config.UNSAFE_replayCanvas).toBe(false);
  });

  it('plays in an iframe sandboxed with allow-same-origin only', () => {
    const { iframe } = mount();
    expect(iframe.getAttribute('sandbox')).toBe('allow-same-origin');
  });

  it('names its iframe, for screen readers', () => {
    const { iframe } = mount();
    expect(iframe.title).toBe('Recorded page');
  });

  it('rebuilds a recorded <script> as inert <noscript>', async () => {
    const { iframe } = mount();
    replayer?.pause(0);
    await vi.waitFor(() => expect(iframe.contentDocument?.body?.childNodes.length).toBeGreaterThan(0));
    const body = iframe.contentDocument?.body as HTMLElement;
    expect(body.querySelector('script')).toBeNull();
    expect(body.querySelector('noscript')?.textContent).toBe('parent.pwned = 1');
  });
});
