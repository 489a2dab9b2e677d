import type { ComponentChildren } from 'preact';
import { ApiError } from '../lib/api';

export function Loading(props: { label?: string; rows?: number }) {
  const rows = props.rows ?? 3;
  return (
    <div class="state loading" role="status" aria-live="polite" aria-busy="true">
      <span class="visually-hidden">{props.label ?? 'Loading…'}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class={`skeleton skeleton-${i % 3}`} />
      ))}
    </div>
  );
}

export function ErrorState(props: { error: Error; retry?: () => void; what?: string }) {
  const e = props.error;
  const status = e instanceof ApiError && e.status > 0 ? ` (${e.status})` : '';
  return (
    <div class="state error" role="alert">
      <div class="state-title">Could not load {props.what ?? 'this data'}{status}</div>
      <div class="state-text">{e.message}</div>
      {props.retry && (
        <button type="button" class="btn" onClick={props.retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty">
      <div class="state-title">{props.title}</div>
      {props.children && <div class="state-text">{props.children}</div>}
    </div>
  );
}

/** Renders loading / error / content for one query. */
export function Async<T>(props: {
  q: { data: T | undefined; error: Error | undefined; loading: boolean; reload: () => void };
  what?: string;
  rows?: number;
  children: (data: T) => ComponentChildren;
}) {
  const { q } = props;
  if (q.error) return <ErrorState error={q.error} retry={q.reload} what={props.what} />;
  if (q.data === undefined) return <Loading rows={props.rows} />;
  return <>{props.children(q.data)}</>;
}
