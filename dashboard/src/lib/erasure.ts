// Erasing a user's or a session's data: the request, then the job's progress.
//
// `DELETE /apps/{app}/users/{user_id}` or `…/sessions/{id}` answers 202 with an
// erasure id at once; the server removes the rows behind its queue. The page
// then asks `GET /erasures/{id}` right away and every 2 s after each answer,
// until the job is done or failed. A status it cannot read three times in a
// row (or a 4xx, which will not change) stops the polling: the job may still
// run on the server, so the page says so instead of claiming a failure.
//
// The states and their order, as a pure reducer (test/erasure.test.ts):
//   sending → refused                       (the DELETE failed: nothing was queued)
//   sending → polling → … → finished        (done or failed)
//                     ↘ lost                (its status could not be read)

import { formatCount } from './format';
import type { Erasure } from './types';

export type EraseTarget = { kind: 'user' | 'session'; id: string };

export const POLL_MS = 2000;
export const MAX_POLL_ERRORS = 3;

export type EraseState =
  | { phase: 'sending'; target: EraseTarget }
  | { phase: 'refused'; target: EraseTarget; message: string }
  | {
      phase: 'polling';
      target: EraseTarget;
      id: string;
      /** the latest status read, null before the first */
      erasure: Erasure | null;
      /** answers so far, read or failed: each one schedules the next */
      polls: number;
      /** failed reads in a row */
      errors: number;
      lastError: string | null;
    }
  | { phase: 'finished'; target: EraseTarget; id: string; erasure: Erasure }
  | { phase: 'lost'; target: EraseTarget; id: string; erasure: Erasure | null; message: string };

export type EraseEvent =
  | { type: 'accepted'; id: string }
  | { type: 'refused'; message: string }
  | { type: 'polled'; erasure: Erasure }
  /** `final`: an answer that will not change by asking again (a 4xx) */
  | { type: 'poll-failed'; message: string; final?: boolean };

/** The API path that erases `target` of app `app`. */
export function erasePath(app: string, target: EraseTarget): string {
  const kind = target.kind === 'user' ? 'users' : 'sessions';
  return `/apps/${encodeURIComponent(app)}/${kind}/${encodeURIComponent(target.id)}`;
}

export function erasureStatusPath(id: string): string {
  return `/erasures/${encodeURIComponent(id)}`;
}

export function startErasure(target: EraseTarget): EraseState {
  return { phase: 'sending', target };
}

/** The next state; an event that does not belong to the state (a late answer) leaves it as it is. */
export function eraseStep(state: EraseState, event: EraseEvent): EraseState {
  const { target } = state;
  switch (state.phase) {
    case 'sending':
      if (event.type === 'accepted') return { phase: 'polling', target, id: event.id, erasure: null, polls: 0, errors: 0, lastError: null };
      if (event.type === 'refused') return { phase: 'refused', target, message: event.message };
      return state;
    case 'polling':
      if (event.type === 'polled') {
        if (event.erasure.id !== state.id) return state;
        const { erasure } = event;
        if (erasure.status === 'done' || erasure.status === 'failed') return { phase: 'finished', target, id: state.id, erasure };
        return { ...state, erasure, polls: state.polls + 1, errors: 0, lastError: null };
      }
      if (event.type === 'poll-failed') {
        const errors = state.errors + 1;
        if (event.final === true || errors >= MAX_POLL_ERRORS) return { phase: 'lost', target, id: state.id, erasure: state.erasure, message: event.message };
        return { ...state, polls: state.polls + 1, errors, lastError: event.message };
      }
      return state;
    case 'refused':
    case 'finished':
    case 'lost':
      return state;
  }
}

/** In how many ms to ask for the status next; null when nothing is to be asked. */
export function pollDelay(state: EraseState): number | null {
  if (state.phase !== 'polling') return null;
  return state.polls === 0 ? 0 : POLL_MS;
}

/** Whether the request itself is under way (the forms wait for it). */
export function isSending(state: EraseState | null): boolean {
  return state?.phase === 'sending';
}

function what(t: EraseTarget): string {
  return t.kind === 'user' ? `user “${t.id}”` : `session “${t.id}”`;
}

function rows(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
}

/** The sentence that tells where an erasure stands. */
export function erasureText(state: EraseState): string {
  const w = what(state.target);
  switch (state.phase) {
    case 'sending':
      return `Asking the server to erase ${w}…`;
    case 'refused':
      return `Could not erase ${w}: ${state.message}`;
    case 'polling': {
      const e = state.erasure;
      const retry = state.lastError == null ? '' : ` (could not read its status: ${state.lastError}; asking again)`;
      if (e == null || e.status === 'pending') return `Erasure of ${w} queued (id ${state.id})…${retry}`;
      return `Erasing ${w}: ${rows(e.rows_removed)} removed so far…${retry}`;
    }
    case 'finished':
      return state.erasure.status === 'done'
        ? `Erased ${w}: ${rows(state.erasure.rows_removed)} removed.`
        : `The erasure of ${w} failed after ${rows(state.erasure.rows_removed)} (id ${state.id}). Try again, or see the server's log.`;
    case 'lost':
      return `Could not read the status of the erasure of ${w} (id ${state.id}): ${state.message}. It may still be running on the server.`;
  }
}

/** Whether the state is bad news (shown as an error). */
export function erasureFailed(state: EraseState): boolean {
  return state.phase === 'refused' || state.phase === 'lost' || (state.phase === 'finished' && state.erasure.status === 'failed');
}
