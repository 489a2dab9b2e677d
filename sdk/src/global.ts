// Entry of the script-tag build: the public API as the global `Fovea`. The
// async snippet (docs/sdk.md) defines `Fovea` before this script arrives: a
// stub whose methods queue their calls in `Fovea.q`. The stub is replaced
// and its calls replayed in order, each guarded (one that throws neither
// stops the others nor reaches the page). A `Fovea` without `q` is a copy of
// the SDK loaded earlier: it is kept. The replay chunk is loaded from beside
// this script, so its URL is noted now, while document.currentScript is this
// script (an async one too).
import { addAction, addError, flush, init, optOut, setConsent, setContext, setUser, startReplay, startView, stopReplay } from './index.js';
import { safe } from './lib/safe.js';
import { captureBase } from './replay.js';

captureBase();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const g = globalThis as { Fovea?: Record<string, (...a: any[]) => unknown> & { q?: [string, unknown[]][] } };
const stub = g.Fovea;
if (!stub || stub.q) g.Fovea = { init, addAction, addError, setUser, setContext, setConsent, optOut, startView, flush, startReplay, stopReplay };
safe(() => stub?.q?.map(([name, args]) => safe(g.Fovea![name]!)(...args)))();
