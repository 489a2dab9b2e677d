import { uuid } from './lib/uuid.js';
import { S } from './state.js';
import { enqueue, enqueueView } from './transport.js';
import type { FoveaEvent, View } from './types.js';

/** Custom context as sent: none when empty. */
const some = (a: object) => (Object.keys(a).length ? a : undefined);

/** Runs `beforeSend`: `false` or a throwing hook drops the event. */
const filter = (e: FoveaEvent): FoveaEvent | undefined => {
  try {
    const r = S.o!.beforeSend?.(e);
    return r === false ? undefined : r || e;
  } catch {
    /* the hook threw: dropped */
  }
};

/**
 * Whether anything may be collected for view `v`: consent not denied (nor
 * opted out), the view not dropped by sampling (undecided views collect:
 * their events wait for the decision), the app not over its quota.
 */
export const live = (v?: View): v is View => !!v && S.c != 'denied' && v.ss != false && S.q <= Date.now();

/**
 * Queues view `v`'s next version: its event is built (and `beforeSend`
 * run) when the batch leaves, once for all the changes since the last one
 * (a page's many events each touch their view's counters).
 */
export const emitView = (v: View | undefined = S.v): void => {
  if (!live(v)) return;
  enqueueView(v, () => {
    const e = filter({
      type: 'view',
      event_id: uuid(),
      ts: v.s,
      session_id: v.sid,
      view_id: v.id,
      version: ++v.n,
      url: v.url,
      route: v.route,
      referrer: v.referrer,
      loading_type: v.lt,
      time_spent: v.end ?? Date.now() - v.s,
      ...v.m,
      attrs: some(S.a),
    });
    return e && JSON.stringify(e);
  });
};

/**
 * Records one event of `type` in view `v` (default: the current view) and
 * bumps the view's counter for that type. Global context (`setContext`) is
 * merged into the event's `attrs` (and is a view's `attrs`).
 */
export const track = (type: string, fields: Record<string, unknown>, ts = Date.now(), v = S.v): void => {
  if (!live(v)) return;
  const attrs = { ...S.a, ...(fields.attrs as object) };
  const e = filter({
    type,
    event_id: uuid(),
    ts,
    session_id: v.sid,
    view_id: v.id,
    url: v.url,
    route: v.route,
    ...fields,
    attrs: some(attrs),
  });
  if (!e) return;
  const k = `${type}_count`;
  v.m[k] = ((v.m[k] as number) || 0) + 1;
  enqueue(JSON.stringify(e), v);
  emitView(v);
};

/** Sets fields of view `v` and queues its new version. */
export const setView = (v: View | undefined, fields: Record<string, unknown>): void => {
  if (v) {
    Object.assign(v.m, fields);
    emitView(v);
  }
};
