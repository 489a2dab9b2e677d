/**
 * A segment: a few seconds of rrweb events of one session, numbered per
 * session (`i`), the unit of upload (docs/intake.md, "Session replay
 * intake"). Events are kept serialised: their size decides when a segment
 * is full, and a segment is stored or sent as it is.
 */
export interface Segment {
  /** session id, view id when the segment started, index */
  sid: string;
  v?: string;
  i: number;
  /** first and last event timestamps, event count, holds a full snapshot */
  s: number;
  t: number;
  n: number;
  f: boolean;
  /** the events, serialised and joined by commas */
  e: string;
}

/** An rrweb event as this code reads it. */
export interface RREvent {
  type: number;
  timestamp: number;
}

/** rrweb's FullSnapshot and Meta event types. */
export const FULL = 2;
export const META = 4;

declare const __VERSION__: string;

/** The request body of segment `g`, sent now. */
export const body = (g: Segment): string =>
  `${JSON.stringify({
    v: 1,
    sdk: { name: 'fovea-browser', version: __VERSION__ },
    session_id: g.sid,
    view_id: g.v,
    index: g.i,
    start: g.s,
    end: g.t,
    count: g.n,
    full_snapshot: g.f,
    sent_at: Date.now(),
  }).slice(0, -1)},"events":[${g.e}]}`;

/** An rrweb event serialised, with its timestamp, type and the view it happened in. */
export interface Ev {
  j: string;
  t: number;
  y: number;
  v?: string;
}

/** Segment `i` of session `sid` from events `ev` (at least one). */
export const segment = (sid: string, i: number, ev: Ev[]): Segment => ({
  sid,
  v: ev[0]!.v,
  i,
  s: ev[0]!.t,
  t: ev[ev.length - 1]!.t,
  n: ev.length,
  f: ev.some((x) => x.y == FULL),
  e: ev.map((x) => x.j).join(','),
});
