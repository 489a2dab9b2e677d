// A browser-like global environment for unit tests: happy-dom's Window, with
// the globals the SDK reads copied onto globalThis (Node already has fetch,
// Request, Headers, Response, Blob, CompressionStream, crypto, performance).
import { Window } from 'happy-dom';

export const win = new Window({ url: 'https://shop.example/cart?id=7', width: 1280, height: 720 });

const g = globalThis as Record<string, unknown>;
for (const k of [
  'window', 'document', 'location', 'history', 'navigator', 'localStorage', 'sessionStorage', 'MutationObserver', 'Element',
  'HTMLElement', 'Event', 'MouseEvent', 'ErrorEvent', 'PromiseRejectionEvent', 'PageTransitionEvent',
  'XMLHttpRequest', 'innerWidth', 'innerHeight', 'screen',
]) {
  Object.defineProperty(g, k, { value: (win as unknown as Record<string, unknown>)[k], configurable: true, writable: true });
}
// happy-dom says it is driven by WebDriver; a user's browser is not
Object.defineProperty(win.navigator, 'webdriver', { value: false, configurable: true });
g.addEventListener = win.addEventListener.bind(win);
g.removeEventListener = win.removeEventListener.bind(win);
// happy-dom has no Performance Timeline; the SDK feature-detects it.
g.PerformanceObserver = class {
  static supportedEntryTypes: string[] = [];
  observe() {}
  disconnect() {}
};
