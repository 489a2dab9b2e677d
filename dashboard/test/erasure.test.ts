// The erasure's states: the DELETE, then one status request per answer until
// the job is done or failed; unreadable statuses stop the polling without
// claiming the job failed.
import { describe, expect, it } from 'vitest';
import { erasePath, erasureFailed, erasureStatusPath, erasureText, eraseStep, isSending, MAX_POLL_ERRORS, POLL_MS, pollDelay, startErasure, type EraseEvent, type EraseState } from '../src/lib/erasure';
import type { Erasure } from '../src/lib/types';

const user = { kind: 'user', id: 'u@example.com' } as const;
const er = (status: Erasure['status'], rows_removed = 0, id = 'er1'): Erasure => ({
  id,
  status,
  rows_removed,
  app: 'shop',
  subject: 'user',
  requested_by: 'root',
  created_at: 0,
  updated_at: 0,
});

function run(events: EraseEvent[], state: EraseState = startErasure(user)): EraseState {
  return events.reduce(eraseStep, state);
}

describe('paths', () => {
  it('escape the ids', () => {
    expect(erasePath('shop', user)).toBe('/apps/shop/users/u%40example.com');
    expect(erasePath('my app', { kind: 'session', id: 'a/b?c' })).toBe('/apps/my%20app/sessions/a%2Fb%3Fc');
    expect(erasureStatusPath('e/1')).toBe('/erasures/e%2F1');
  });
});

describe('eraseStep', () => {
  it('sends, then polls at once and every 2 s after each answer, until done', () => {
    let s = startErasure(user);
    expect(isSending(s)).toBe(true);
    expect(pollDelay(s)).toBeNull();
    expect(erasureText(s)).toBe('Asking the server to erase user “u@example.com”…');

    s = eraseStep(s, { type: 'accepted', id: 'er1' });
    expect(s.phase).toBe('polling');
    expect(isSending(s)).toBe(false);
    expect(pollDelay(s)).toBe(0);
    expect(erasureText(s)).toBe('Erasure of user “u@example.com” queued (id er1)…');

    s = eraseStep(s, { type: 'polled', erasure: er('pending') });
    expect(pollDelay(s)).toBe(POLL_MS);
    s = eraseStep(s, { type: 'polled', erasure: er('running', 1200) });
    expect(erasureText(s)).toBe('Erasing user “u@example.com”: 1,200 rows removed so far…');
    expect(pollDelay(s)).toBe(POLL_MS);

    s = eraseStep(s, { type: 'polled', erasure: er('done', 4321) });
    expect(s.phase).toBe('finished');
    expect(pollDelay(s)).toBeNull();
    expect(erasureFailed(s)).toBe(false);
    expect(erasureText(s)).toBe('Erased user “u@example.com”: 4,321 rows removed.');
  });

  it('counts every answer, so two equal statuses in a row still schedule the next request', () => {
    const a = run([{ type: 'accepted', id: 'er1' }, { type: 'polled', erasure: er('running', 5) }]);
    const b = eraseStep(a, { type: 'polled', erasure: er('running', 5) });
    expect(a.phase === 'polling' && b.phase === 'polling' && b.polls).toBe(2);
  });

  it('reports a failed job as a failure', () => {
    const s = run([{ type: 'accepted', id: 'er1' }, { type: 'polled', erasure: er('failed', 10) }]);
    expect(s.phase).toBe('finished');
    expect(erasureFailed(s)).toBe(true);
    expect(erasureText(s)).toContain('failed after 10 rows (id er1)');
  });

  it('shows the server message when the DELETE is refused, and polls nothing', () => {
    const s = run([{ type: 'refused', message: 'no such session' }], startErasure({ kind: 'session', id: 's1' }));
    expect(s.phase).toBe('refused');
    expect(pollDelay(s)).toBeNull();
    expect(erasureFailed(s)).toBe(true);
    expect(erasureText(s)).toBe('Could not erase session “s1”: no such session');
  });

  it('keeps asking after a failed read, and gives up after three in a row without calling the job failed', () => {
    let s = run([{ type: 'accepted', id: 'er1' }, { type: 'polled', erasure: er('running', 7) }]);
    s = eraseStep(s, { type: 'poll-failed', message: 'Cannot reach the Fovea server.' });
    expect(s.phase).toBe('polling');
    expect(pollDelay(s)).toBe(POLL_MS);
    expect(erasureText(s)).toContain('asking again');
    // a good answer resets the count
    s = eraseStep(s, { type: 'polled', erasure: er('running', 9) });
    expect(s.phase === 'polling' && s.errors).toBe(0);
    for (let i = 0; i < MAX_POLL_ERRORS; i++) s = eraseStep(s, { type: 'poll-failed', message: 'down' });
    expect(s.phase).toBe('lost');
    expect(pollDelay(s)).toBeNull();
    expect(erasureText(s)).toBe('Could not read the status of the erasure of user “u@example.com” (id er1): down. It may still be running on the server.');
  });

  it('stops at once on an answer that will not change (a 4xx)', () => {
    const s = run([{ type: 'accepted', id: 'er1' }, { type: 'poll-failed', message: 'not found', final: true }]);
    expect(s.phase).toBe('lost');
  });

  it('ignores late answers: another erasure, or events after the end', () => {
    const polling = run([{ type: 'accepted', id: 'er1' }]);
    expect(eraseStep(polling, { type: 'polled', erasure: er('done', 1, 'other') })).toBe(polling);
    const done = eraseStep(polling, { type: 'polled', erasure: er('done', 1) });
    expect(eraseStep(done, { type: 'polled', erasure: er('running', 0) })).toBe(done);
    expect(eraseStep(done, { type: 'poll-failed', message: 'x' })).toBe(done);
    const sending = startErasure(user);
    expect(eraseStep(sending, { type: 'polled', erasure: er('done') })).toBe(sending);
  });
});
