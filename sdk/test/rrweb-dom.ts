// rrweb's recorder under happy-dom (import after ./dom.js). rrweb reads DOM
// accessors through "untainted" prototypes: it trusts a prototype whose
// getters print as `[native code]`, and otherwise takes a fresh one from a
// hidden iframe. happy-dom's accessors are plain JavaScript and its iframes
// have no window, so this makes the prototypes look native, with
// Node.prototype's getters dispatching to the subclass' own (happy-dom
// defines `textContent` per node type); and it copies the DOM classes rrweb
// reads from the global scope.
import { win } from './dom.js';

type Proto = Record<string, unknown>;
const w = win as unknown as Record<string, { prototype: Proto } & Proto>;
const g = globalThis as Record<string, unknown>;
for (const k of Object.getOwnPropertyNames(win))
  if (/^[A-Z]/.test(k) && !(k in g)) Object.defineProperty(g, k, { value: w[k], configurable: true, writable: true });
g.requestAnimationFrame = (f: () => void) => setImmediate(f);

const native = <F extends object>(f: F): F => {
  Object.defineProperty(f, 'toString', { value: () => 'function () { [native code] }' });
  return f;
};
const desc = (p: object, k: string) => Object.getOwnPropertyDescriptor(p, k)!;

const NodeP = w.Node!.prototype;
for (const k of ['childNodes', 'parentNode', 'parentElement', 'textContent', 'ownerDocument', 'firstChild', 'lastChild', 'nextSibling', 'previousSibling']) {
  const d = desc(NodeP, k);
  Object.defineProperty(NodeP, k, {
    ...d,
    get: native(function (this: object) {
      for (let p = Object.getPrototypeOf(this); p && p !== NodeP; p = Object.getPrototypeOf(p)) {
        const x = Object.getOwnPropertyDescriptor(p, k);
        if (x?.get) return x.get.call(this);
      }
      return d.get!.call(this);
    }),
  });
}
for (const k of ['contains', 'getRootNode']) native(NodeP[k] as object);
const ElP = w.Element!.prototype;
native(desc(ElP, 'shadowRoot').get!);
// rrweb lists these methods among the accessors it checks
for (const k of ['querySelector', 'querySelectorAll']) {
  const f = ElP[k];
  Object.defineProperty(ElP, k, { configurable: true, get: native(() => f) });
}
const SrP = w.ShadowRoot!.prototype;
native(desc(SrP, 'host').get!);
Object.defineProperty(SrP, 'styleSheets', { configurable: true, get: native(() => []) });
SrP.getSelection = native(() => null);
native(w.MutationObserver!);
