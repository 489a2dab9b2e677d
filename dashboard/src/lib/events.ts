// One-line descriptions of session events, as text. Every value here came
// from a browser: it is rendered through JSX text, never as HTML.

import type { SessionEvent } from './types';
import { formatCls, formatMs } from './format';

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export const TYPE_LABEL: Record<string, string> = {
  view: 'View',
  action: 'Action',
  error: 'Error',
  resource: 'Resource',
  long_task: 'Long task',
};

/** The headline of an event, e.g. `GET /api/cart → 500` or `click "Add to cart"`. */
export function eventTitle(e: SessionEvent): string {
  switch (e.type) {
    case 'view':
      return str(e.route) ?? str(e.url) ?? '(view)';
    case 'action': {
      const name = str(e.name);
      const target = str(e.target);
      const kind = str(e.action_type) ?? 'action';
      return `${kind} ${name ? `“${name}”` : (target ?? '')}`.trim();
    }
    case 'error': {
      const kind = str(e.kind);
      const msg = str(e.message) ?? '(no message)';
      return kind ? `${kind}: ${msg}` : msg;
    }
    case 'resource': {
      const method = str(e.method);
      const url = str(e.resource_url) ?? str(e.url) ?? '(resource)';
      const status = num(e.status);
      const outcome = status == null ? '' : status === 0 ? ' → network error' : ` → ${status}`;
      return `${method ? `${method} ` : ''}${url}${outcome}`;
    }
    case 'long_task': {
      const script = str(e.script_url);
      const fn = str(e.script_function);
      return `${str(e.kind) === 'loaf' ? 'Long animation frame' : 'Long task'}${script ? ` in ${fn ? `${fn} @ ` : ''}${script}` : ''}`;
    }
    default:
      return str(e.type) ?? 'event';
  }
}

/** Secondary facts: vitals of a view, status of a resource, flags of an action. */
export function eventFacts(e: SessionEvent): string[] {
  const out: string[] = [];
  const ms = (label: string, key: string) => {
    const v = num(e[key]);
    if (v != null) out.push(`${label} ${formatMs(v)}`);
  };
  switch (e.type) {
    case 'view': {
      const lt = str(e.loading_type);
      if (lt) out.push(lt.replace('_', ' '));
      ms('TTFB', 'ttfb');
      ms('FCP', 'fcp');
      ms('LCP', 'lcp');
      ms('INP', 'inp');
      const cls = num(e.cls);
      if (cls != null) out.push(`CLS ${formatCls(cls)}`);
      ms('load', 'load');
      ms('time spent', 'time_spent');
      break;
    }
    case 'action': {
      const target = str(e.target);
      if (target && str(e.name)) out.push(target);
      const fr = Array.isArray(e.frustration) ? e.frustration.filter((x): x is string => typeof x === 'string') : [];
      if (fr.length) out.push(`frustration: ${fr.join(', ')}`);
      break;
    }
    case 'error': {
      const source = str(e.source);
      if (source) out.push(source);
      if (e.handled === false) out.push('unhandled');
      const ru = str(e.resource_url);
      if (ru) out.push(ru);
      break;
    }
    case 'resource': {
      const kind = str(e.kind);
      if (kind) out.push(kind);
      ms('', 'duration');
      break;
    }
    case 'long_task':
      ms('', 'duration');
      ms('blocking', 'blocking_duration');
      break;
  }
  return out.map((s) => s.trim());
}

/** How long an event lasts on the timeline (0 for an instant). */
export function eventDuration(e: SessionEvent): number {
  switch (e.type) {
    case 'view':
      return num(e.time_spent) ?? num(e.load) ?? 0;
    case 'resource':
    case 'long_task':
      return num(e.duration) ?? 0;
    default:
      return 0;
  }
}
