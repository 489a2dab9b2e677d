// rrweb's Replayer, built the one way the dashboard allows. Loaded with
// import() from the session page, so its ~58 kB gzip (and its stylesheet, a
// file beside it: the CSP has no inline styles of ours) cost nothing elsewhere.
//
// The recorded page is untrusted. rrweb rebuilds it in an iframe it creates
// with sandbox="allow-same-origin" and nothing else (createSandboxedIframe in
// rrweb-snapshot; rebuild() refuses any other target), so no recorded script,
// `on*=` attribute or `javascript:` URL can run; recorded <script> elements are
// rebuilt as <noscript>. Only UNSAFE_replayCanvas adds allow-scripts: it is
// never set here (test/replayer.test.ts checks both).

import { Replayer } from '@rrweb/replay';
import '@rrweb/replay/dist/style.css';
import type { RrwebEvent } from './replay';

type Config = NonNullable<ConstructorParameters<typeof Replayer>[1]>;
type Events = ConstructorParameters<typeof Replayer>[0];

/** Everything we set on the Replayer besides its root. */
export const REPLAYER_OPTIONS = {
  // A focus event in the recording would move the viewer's keyboard focus into the iframe.
  triggerFocus: false,
  mouseTail: false,
  showWarning: false,
  skipInactive: true,
} as const satisfies Partial<Config>;

export type { Replayer };

/** A Replayer playing `events` (at least a Meta and a FullSnapshot) inside `root`. */
export function createReplayer(root: HTMLElement, events: RrwebEvent[]): Replayer {
  const r = new Replayer(events as unknown as Events, { ...REPLAYER_OPTIONS, root });
  // Every frame needs a name for assistive technology, even one kept inert.
  r.iframe.title = 'Recorded page';
  return r;
}
