// The Actions page: pure helpers, unit tested in test/actions.test.ts.

import type { ActionRow } from './types';

/** The orders the "Top actions" panel offers; `count` is the server's default. */
export const ACTION_ORDERS = ['count', 'frustration_rate'] as const;
export type ActionOrder = (typeof ACTION_ORDERS)[number];

export const ACTION_ORDER_LABEL: Readonly<Record<ActionOrder, string>> = {
  count: 'Most used',
  frustration_rate: 'Highest frustration rate',
};

/**
 * The Actions page's `?order=`; anything else (or nothing) means by count.
 * `frustration` is left out on purpose: the hot spots panel already shows it.
 */
export function parseActionOrder(raw: string | null | undefined): ActionOrder {
  return raw != null && (ACTION_ORDERS as readonly string[]).includes(raw) ? (raw as ActionOrder) : 'count';
}

/** `order` as a URL param: the default is left out, so plain URLs stay plain. */
export function actionOrderParam(order: ActionOrder): ActionOrder | null {
  return order === 'count' ? null : order;
}

/** What names the element: its name, else its selector, else a dash. */
export function actionLabel(row: Pick<ActionRow, 'name' | 'target'>): string {
  return row.name ?? row.target ?? '—';
}

/** A row's identity, for list keys: null and "" stay apart, and no separator can collide. */
export function actionKey(row: Pick<ActionRow, 'route' | 'action_type' | 'name' | 'target'>): string {
  return JSON.stringify([row.route, row.action_type, row.name, row.target]);
}

/** A session id short enough for a table cell (session ids are 36-character UUIDs). */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}
