import './dom.js';
import './rrweb-dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { record } from '@rrweb/record';
import { mask, maskInput, maskText, privacy, secret, type Level } from '../src/replay/privacy.js';
import { win } from './dom.js';

// Typed values: none may appear anywhere in a recording, at any level.
const TYPED = ['typed-name', 'hunter2-secret', '4111111111111111', '654321', 'hidden-token', 'typed-in-area', 'edited-words', 'unmasked-card'];

const PAGE = `
  <h1>Welcome back</h1>
  <p>Order total <b>42 EUR</b></p>
  <form>
    <input id="name" value="">
    <input id="pw" type="password">
    <input id="cc" autocomplete="cc-number">
    <input id="otp" autocomplete="one-time-code">
    <input id="tok" type="hidden" value="hidden-token">
    <textarea id="area"></textarea>
    <select id="country"><option value="DE">Germany</option><option value="FR">France</option></select>
  </form>
  <div id="ed" contenteditable="true">draft</div>
  <div data-fovea-privacy="mask"><span>Account 1234</span></div>
  <div data-fovea-privacy="block" style="width: 100px"><span>Blocked words</span></div>
  <div data-fovea-privacy="unmask">
    <span>Shown words</span>
    <input id="search" value="">
    <input id="pw2" type="password">
    <input id="cc2" autocomplete="billing cc-number">
    <div data-fovea-privacy="mask"><span>Masked again</span></div>
  </div>
  <img src="/photo.jpg" width="40" height="30">
`;

type Ev = { type: number; data: Record<string, unknown> };
let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  stop = undefined;
});

const type = (id: string, value: string) => {
  const el = document.getElementById(id) as HTMLInputElement;
  el.value = value;
  el.dispatchEvent(new win.Event('input', { bubbles: true }) as unknown as Event);
  el.dispatchEvent(new win.Event('change', { bubbles: true }) as unknown as Event);
};

/** Records PAGE at `level` while the user types everywhere; returns the JSON of every event. */
const recordPage = async (level: Level): Promise<string> => {
  document.body.innerHTML = PAGE;
  const events: Ev[] = [];
  stop = record({ emit: (e) => void events.push(e as unknown as Ev), ...privacy(level), errorHandler: () => true });
  type('name', 'typed-name');
  type('pw', 'hunter2-secret');
  type('cc', '4111111111111111');
  type('otp', '654321');
  type('area', 'typed-in-area');
  type('country', 'FR');
  type('search', 'search-words');
  type('pw2', 'hunter2-secret');
  type('cc2', 'unmasked-card');
  document.getElementById('ed')!.textContent = 'edited-words';
  const added = document.createElement('p');
  added.textContent = 'Added later';
  document.body.append(added);
  await new Promise((r) => setImmediate(r)); // MutationObserver records
  assert.ok(events.some((e) => e.type == 2), 'a full snapshot');
  assert.ok(events.some((e) => e.type == 3 && e.data.source == 5), 'input events');
  return JSON.stringify(events);
};

describe('replay privacy: a recorded happy-dom page', () => {
  for (const level of ['mask-inputs', 'mask-all'] as const)
    it(`never contains a typed value (${level})`, async () => {
      const out = await recordPage(level);
      for (const v of TYPED) assert.ok(!out.includes(v), `${v} leaked at ${level}`);
      // the chosen option of a select (option values are page content, the choice is not)
      assert.ok(!out.includes('"text":"FR"') && !out.includes('"selected":true'), 'select choice');
      assert.ok(!out.includes('Blocked words'), 'block records no content');
      assert.match(out, /"rr_width"/, 'a blocked element keeps its size');
      assert.ok(!out.includes('Account 1234'), 'data-fovea-privacy=mask');
      assert.ok(!out.includes('Masked again'), 'mask inside unmask');
      assert.ok(out.includes('Shown words'), 'unmask shows text');
      assert.ok(out.includes('search-words'), 'unmask shows an ordinary field');
    });

  it('mask-inputs keeps the page text and images', async () => {
    const out = await recordPage('mask-inputs');
    for (const t of ['Welcome back', '42 EUR', 'Added later', 'Germany']) assert.ok(out.includes(t), t);
    assert.ok(out.includes('/photo.jpg'));
  });

  it('mask-all masks every text and replaces images by a box of their size', async () => {
    const out = await recordPage('mask-all');
    for (const t of ['Welcome back', '42 EUR', 'Added later', 'Germany', 'draft']) assert.ok(!out.includes(t), t);
    assert.ok(out.includes('******* ****'), 'masked text keeps its shape');
    assert.ok(!out.includes('/photo.jpg'), 'no image URL');
    assert.match(out, /"tagName":"img","attributes":\{"rr_width":"[^"]*","rr_height"/);
  });
});

describe('replay privacy: the mask functions', () => {
  const el = (html: string, sel: string) => {
    document.body.innerHTML = html;
    return document.querySelector(sel) as HTMLElement;
  };

  it('masks secrets at every level, even inside unmask', () => {
    for (const html of ['<input type=password>', '<input autocomplete="cc-exp">', '<input autocomplete="shipping cc-csc">', '<input autocomplete="one-time-code">'])
      assert.equal(maskInput('s3cret', el(`<div data-fovea-privacy="unmask">${html}</div>`, 'input')), '******', html);
    assert.ok(secret(el('<input autocomplete="CC-NUMBER">', 'input')));
    assert.ok(!secret(el('<input autocomplete="email">', 'input')));
  });

  it('masks every other value unless unmask is the nearest attribute', () => {
    assert.equal(maskInput('abc', el('<input>', 'input')), '***');
    assert.equal(maskInput('abc', el('<div data-fovea-privacy="unmask"><input></div>', 'input')), 'abc');
    assert.equal(maskInput('abc', el('<div data-fovea-privacy="unmask"><p data-fovea-privacy="mask"><input></p></div>', 'input')), '***');
  });

  it('text: the level, then the nearest attribute; editable text is a value', () => {
    const p = el('<p>Hi there</p>', 'p');
    assert.equal(maskText(false)('Hi there', p), 'Hi there');
    assert.equal(maskText(true)('Hi there', p), '** *****');
    assert.equal(maskText(true)('Hi', el('<div data-fovea-privacy="unmask"><p>Hi</p></div>', 'p')), 'Hi');
    assert.equal(maskText(false)('Hi', el('<div data-fovea-privacy="mask"><p>Hi</p></div>', 'p')), '**');
    assert.equal(maskText(false)('Hi', el('<div contenteditable><p>Hi</p></div>', 'p')), '**');
    assert.equal(maskText(false)('Hi', el('<div contenteditable="false"><p>Hi</p></div>', 'p')), 'Hi');
    assert.equal(maskText(true)('Hi', el('<div data-fovea-privacy="unmask"><p contenteditable>Hi</p></div>', 'p')), '**');
    assert.equal(mask(' a b\n'), ' * *\n');
  });

  it('maps levels to rrweb options', () => {
    assert.equal(privacy(undefined).blockSelector, '[data-fovea-privacy=block]');
    assert.match(privacy('mask-all').blockSelector!, /,img,/);
    assert.equal(privacy('mask-all').maskTextSelector, '*');
  });
});
