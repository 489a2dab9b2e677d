// Global Privacy Control: with `respectGlobalPrivacyControl`, a browser that
// sends it starts with consent denied (its own file: init runs once per page).
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addAction, addError, flush, init } from '../src/index.js';
import { initialConsent } from '../src/lib/initialConsent.js';
import type { Options } from '../src/types.js';
import { fakeFetch, sent } from './harness.js';

const gpc = (on: boolean | undefined) =>
  Object.defineProperty(navigator, 'globalPrivacyControl', { value: on, configurable: true });

describe('Global Privacy Control', () => {
  it('denies consent only when the option is set and the browser sends GPC', () => {
    const o = (x: Partial<Options>) => ({ endpoint: 'https://fovea.example', key: 'k', ...x });
    gpc(true);
    assert.equal(initialConsent(o({ respectGlobalPrivacyControl: true })), 'denied');
    assert.equal(initialConsent(o({ respectGlobalPrivacyControl: true, consent: 'pending' })), 'denied');
    assert.equal(initialConsent(o({})), 'granted', 'ignored without the option');
    gpc(false);
    assert.equal(initialConsent(o({ respectGlobalPrivacyControl: true })), 'granted');
    gpc(undefined);
    assert.equal(initialConsent(o({ respectGlobalPrivacyControl: true, consent: 'pending' })), 'pending');
  });

  it('collects, sends and stores nothing, and deletes a session stored before', async () => {
    gpc(true);
    document.cookie = `fovea_s=0c3d5e7f-1111-4222-a333-444455556666|1|${Date.now()}|${Date.now()};path=/`;
    (win as unknown as { fetch: unknown }).fetch = fakeFetch;
    init({ endpoint: 'https://fovea.example', key: 'k', respectGlobalPrivacyControl: true });
    addAction('x');
    addError(new Error('y'));
    history.pushState({}, '', '/next');
    await flush();
    win.dispatchEvent(new win.Event('pagehide'));
    assert.equal(sent.length, 0);
    assert.equal(document.cookie.match(/fovea_s=/), null);
    assert.equal(localStorage.getItem('fovea_s'), null);
    assert.equal(sessionStorage.length + localStorage.length, 0);
  });
});
