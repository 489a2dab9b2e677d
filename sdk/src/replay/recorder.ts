import { record } from '@rrweb/record';
import { on } from '../lib/on.js';
import { replayMode } from '../lib/replayMode.js';
import { safe } from '../lib/safe.js';
import type { ReplayHook } from '../replay.js';
import { H, setHook } from './hook.js';
import { privacy } from './privacy.js';
import { type Ev, META, type RREvent, segment } from './segment.js';
import { errored, forget, nextIndex, restore, setErrored } from './store.js';
import { back, drop, enqueue, leave, setOnDrop } from './upload.js';

/**
 * The recorder: runs rrweb's `record` for the sessions the core picked, in
 * one of two modes.
 *
 * - Segments (mode 1): events go into the open segment, closed every
 *   SEGMENT_MS (5 s) or at MAX_SEGMENT characters, and uploaded
 *   (upload.ts). Each page starts with a full snapshot; its segments carry on
 *   the session's numbering (store.ts), so the pages of a session make one
 *   recording.
 * - On-error buffer (mode 2): nothing is sent. rrweb takes a full snapshot
 *   every CHECKOUT_MS (checkoutEveryNms); at each one the buffer drops what
 *   came before the previous one, so it holds at most the last 2 ×
 *   CHECKOUT_MS = 60 s and always starts with a full snapshot. When the core
 *   reports an error, the buffer becomes segments and is uploaded, and the
 *   session is recorded in segments from then on, on later pages too.
 *
 * The mode follows the core's state on every notification: consent granted,
 * session sampled in, `startReplay`/`stopReplay`, else the decision read from
 * the session id (replayMode). A new session (after 15 minutes idle) starts a
 * new recording. Consent withdrawn stops rrweb and drops every segment,
 * unsent or stored.
 */
export const SEGMENT_MS = 5000;
export const MAX_SEGMENT = 500_000;
export const CHECKOUT_MS = 30000;

/** 0 nothing, 1 segments, 2 on-error buffer */
let mode = 0;
let sid = '';
let stop: (() => void) | undefined;
/** events of the open segment (mode 1) or of the buffer (mode 2), and their size */
let ev: Ev[] = [];
let size = 0;
/** positions in `ev` of the full snapshots' Meta events (mode 2) */
let marks: number[] = [];
let timer: ReturnType<typeof setTimeout> | 0 = 0;
/** the previous page's unsent segments were taken */
let restored = false;

/** Closes the open segment and queues it. */
const close = (): void => {
  clearTimeout(timer);
  timer = 0;
  if (ev.length) enqueue(segment(sid, nextIndex(sid), ev));
  ev = [];
  size = 0;
};

const emit = (e: RREvent, checkout?: boolean): void => {
  const x: Ev = { j: JSON.stringify(e), t: e.timestamp, y: e.type, v: H.S!.v?.id };
  if (mode == 2) {
    if (e.type == META) {
      if (checkout && marks.length > 1) {
        const cut = marks[1]!;
        ev = ev.slice(cut);
        marks = [0];
      }
      marks.push(ev.length);
    }
    ev.push(x);
    return;
  }
  // a full snapshot too large for one segment is still sent whole
  if (ev.length && size + x.j.length > MAX_SEGMENT) close();
  ev.push(x);
  size += x.j.length;
  timer ||= setTimeout(safe(close), SEGMENT_MS);
};

/** Stops rrweb; the open segment is queued (mode 1), the buffer dropped (mode 2). */
const halt = (): void => {
  stop?.();
  stop = undefined;
  if (mode == 1) close();
  ev = [];
  size = 0;
  marks = [];
  mode = 0;
};

const start = (m: number): void => {
  const S = H.S!;
  mode = m;
  sid = S.v!.sid;
  try {
    stop = record({
      emit: safe(emit),
      ...privacy(S.o!.replayPrivacy),
      checkoutEveryNms: m == 2 ? CHECKOUT_MS : undefined,
      // Not recorded: canvas contents, cross-origin iframes, fonts, images as
      // data (the player loads them from their URLs).
      recordCanvas: false,
      recordCrossOriginIframes: false,
      collectFonts: false,
      inlineImages: false,
      slimDOMOptions: 'all',
      sampling: { mousemove: 50, scroll: 150, media: 800, input: 'last' },
      recordAfter: 'DOMContentLoaded',
      // an exception inside rrweb's listeners never reaches the page
      errorHandler: () => true,
    });
  } catch {
    /* rrweb could not start: record nothing */
  }
  if (!stop) mode = 0;
};

/** The buffer of an on-error session, as segments of at most MAX_SEGMENT. */
const upload = (): void => {
  let part: Ev[] = [];
  let n = 0;
  for (const x of ev) {
    if (part.length && n + x.j.length > MAX_SEGMENT) {
      enqueue(segment(sid, nextIndex(sid), part));
      part = [];
      n = 0;
    }
    part.push(x);
    n += x.j.length;
  }
  if (part.length) enqueue(segment(sid, nextIndex(sid), part));
  ev = [];
  marks = [];
  setErrored(sid);
};

/** Follows the core's state: k = 0 something changed, 1 an error was reported. */
export const sync = (k: number): void => {
  const S = H.S;
  if (!S?.o) return;
  if (!restored && S.c == 'granted') {
    // what the previous page of this tab could not send
    restored = true;
    const old = restore();
    if (old.length) enqueue(...old);
  }
  if (S.c == 'denied') {
    halt();
    drop();
    forget();
    return;
  }
  const v = S.v;
  let want = S.c == 'granted' && v?.ss ? (H.m ?? replayMode(v, S.o)) : 0;
  if (want == 2 && errored(v!.sid)) want = 1;
  if (mode == 2 && k == 1 && v?.sid == sid && want) {
    upload();
    want = 1;
  }
  if (want != mode || (want && v!.sid != sid)) {
    halt();
    if (want) start(want);
  }
};

let listening = false;


/** Registers the chunk on the core's hook and starts following it. */
export const attach = (h: ReplayHook): void => {
  setHook(h);
  h.n = safe(sync);
  setOnDrop(() => mode == 1 && record.takeFullSnapshot());
  if (!listening) {
    listening = true;
    const hide = () => {
      if (mode == 1) close();
      leave();
    };
    on(window, 'pagehide', hide);
    on(document, 'visibilitychange', () => (document.visibilityState == 'hidden' ? hide() : back()));
  }
  h.n(0);
};

/** Stops and forgets everything (unit tests). */
export const resetRecorder = (): void => {
  halt();
  sid = '';
  restored = false;
};
