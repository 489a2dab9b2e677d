// init with `consent: 'pending'` on a page of a visit that already has a
// session (its own file: init runs once per page).
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addAction, flush, init, setConsent } from '../src/index.js';
import { events, fakeFetch, sent } from './harness.js';

const cookie = () => document.cookie.match(/fovea_s=([^;]+)/)?.[1];

describe('init with consent pending', () => {
  // Regression: a site that starts every page pending got a new session on each page.
  it('init with consent pending no longer deletes the stored session: nothing is sent or written until grant, which continues it', async () => {
    const t = Date.now() - 60_000;
    const stored = `0c3d5e7f-1111-4222-a333-444455556666|1|${t}|${t}`;
    document.cookie = `fovea_s=${stored};path=/`;
    (win as unknown as { fetch: unknown }).fetch = fakeFetch;
    init({ endpoint: 'https://fovea.example', key: 'k', consent: 'pending' });
    addAction('while pending');
    await flush();
    assert.equal(sent.length, 0);
    assert.equal(cookie(), stored, 'neither deleted nor written');
    setConsent('granted');
    await flush();
    const sid = stored.split('|')[0];
    assert.deepEqual(events('action').map((e) => e.name), ['while pending']);
    assert.ok(events().every((e) => e.session_id == sid), 'the events belong to the stored session');
    assert.equal(cookie()?.split('|')[0], sid);
  });
});
