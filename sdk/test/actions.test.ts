import './dom.js';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it, mock } from 'node:test';
import { flushClicks, onClick } from '../src/actions.js';
import { reportError } from '../src/errors.js';
import { flush } from '../src/index.js';
import { actionTarget } from '../src/lib/actionTarget.js';
import { selector } from '../src/lib/selector.js';
import { resetTransport } from '../src/transport.js';
import { events, settle, setup } from './harness.js';

document.body.innerHTML = `
  <main id="app">
    <section class="hero big extra">
      <button data-fovea-action="add to cart" class="btn"><span>Add</span></button>
      <button aria-label="Close dialog">×</button>
      <button class="plain">  Buy
         now  </button>
      <div class="card"><p>${'long text '.repeat(30)}</p></div>
      <input type="text" value="my secret address">
      <textarea>typed by the user</textarea>
      <div class="dead">nothing happens</div>
      <a href="/next">next page</a>
    </section>
  </main>
  <section id="private">
    <label class="card">Card <input value="4111 1111 1111 1111"></label>
    <label class="notes">Notes <textarea>my private note</textarea></label>
    <label class="country">Country <select><option>Narnia</option><option selected>Atlantis</option></select></label>
    <div class="editor" contenteditable="true"><p>typed in the editor</p><a href="#x">a typed link</a></div>
    <div class="plaintext" contenteditable="plaintext-only">typed plain text</div>
    <button class="total">Pay <span data-fovea-privacy="mask">$1,234.00</span></button>
    <div data-fovea-privacy="mask">
      <button class="m1">Jane Doe</button>
      <button class="m2" aria-label="Open profile">Jane Doe</button>
      <button class="m3" data-fovea-action="open order">Order 42 for Jane</button>
      <button class="m4" title="Jane Doe's order">Jane</button>
    </div>
    <div data-fovea-privacy="block"><a class="b1" href="/x">Jane's page</a></div>
  </section>`;
const $ = (s: string) => document.querySelector(s) as unknown as Element;

const click = (sel: string, x = 10, y = 10) => {
  const el = $(sel);
  onClick({ target: el, clientX: x, clientY: y } as unknown as MouseEvent);
  return el;
};

describe('action names and targets', () => {
  it('prefers data-fovea-action, then aria-label, then visible text', () => {
    assert.deepEqual(actionTarget($('button[data-fovea-action] span'))[1], 'add to cart');
    assert.equal(actionTarget($('button[aria-label]'))[1], 'Close dialog');
    assert.equal(actionTarget($('button.plain'))[1], 'Buy now');
  });

  it('caps text at 100 characters', () => {
    assert.equal(actionTarget($('.card p'))[1].length, 100);
  });

  it('never uses what a user typed', () => {
    assert.equal(actionTarget($('input'))[1], 'input');
    assert.equal(actionTarget($('textarea'))[1], 'textarea');
  });

  it('never names a click by a form value: not of a field inside a label, nor options, nor editable content', () => {
    for (const [sel, want] of [
      // an input's value is no text: the label keeps its own
      ['label.card', 'Card'],
      ['label.card input', 'input'],
      ['label.notes', 'label'],
      ['label.country', 'label'],
      ['label.country select', 'select'],
      ['.editor p', 'p'],
      ['.editor a', 'a'],
      ['.plaintext', 'div'],
    ])
      assert.equal(actionTarget($(sel!))[1], want, sel);
  });

  it('masks names inside data-fovea-privacy="mask" (or "block"): data-fovea-action, aria-label or the tag, never text or title', () => {
    assert.equal(actionTarget($('.m1'))[1], 'button');
    assert.equal(actionTarget($('.m2'))[1], 'Open profile');
    assert.equal(actionTarget($('.m3'))[1], 'open order');
    assert.equal(actionTarget($('.m4'))[1], 'button');
    assert.equal(actionTarget($('.b1'))[1], 'a');
    // a masked part of the element's text would be in its name too
    assert.equal(actionTarget($('button.total span'))[1], 'button');
  });

  it("with actionNamePrivacy 'mask', names clicks only by data-fovea-action, aria-label or the tag", () => {
    assert.equal(actionTarget($('button[data-fovea-action] span'), true)[1], 'add to cart');
    assert.equal(actionTarget($('button[aria-label]'), true)[1], 'Close dialog');
    assert.equal(actionTarget($('button.plain'), true)[1], 'button');
    assert.equal(actionTarget($('.card p'), true)[1], 'p');
  });

  it('names the element with a short CSS selector, stopping at an id', () => {
    assert.equal(selector($('button.plain')), 'main#app>section.hero.big>button.plain');
    assert.equal(selector(actionTarget($('button[data-fovea-action] span'))[0]), 'main#app>section.hero.big>button.btn');
  });
});

describe('frustration signals', () => {
  before(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_764_100_000_000 }));
  after(() => mock.timers.reset());
  beforeEach(() => {
    resetTransport();
    setup();
  });
  const actions = async () => {
    mock.timers.tick(1100);
    await settle();
    await flush();
    return events('action');
  };

  it('sends a click with name, target and coordinates after a second', async () => {
    click('button.plain', 120, 45);
    // the page reacts
    $('.card').setAttribute('data-open', '1');
    await settle();
    const [a, ...rest] = await actions();
    assert.equal(rest.length, 0);
    assert.equal(a!.action_type, 'click');
    assert.equal(a!.name, 'Buy now');
    assert.equal(a!.target, 'main#app>section.hero.big>button.plain');
    assert.equal(a!.x, 120);
    assert.equal(a!.y, 45);
    assert.equal(a!.frustration, undefined);
  });

  it("sends masked names with actionNamePrivacy 'mask'", async () => {
    setup({ actionNamePrivacy: 'mask' });
    click('button.plain');
    const [a] = await actions();
    assert.equal(a!.name, 'button');
    assert.equal(a!.target, 'main#app>section.hero.big>button.plain');
  });

  it('flags a dead click: no mutation, request or navigation within 1 s', async () => {
    click('.dead');
    const [a] = await actions();
    assert.deepEqual(a!.frustration, ['dead']);
    assert.equal(events('view').at(-1)!.frustration_count, 1);
  });

  it('never flags clicks on form fields or links as dead', async () => {
    click('input');
    mock.timers.tick(1100);
    click('a');
    const as = await actions();
    assert.equal(as.length, 2);
    assert.ok(as.every((a) => a.frustration === undefined));
  });

  it('flags 3 clicks within 1 s and 100 px as one rage click', async () => {
    click('button.plain', 100, 100);
    mock.timers.tick(300);
    click('button.plain', 130, 110);
    mock.timers.tick(300);
    click('button.plain', 160, 60);
    const as = await actions();
    assert.equal(as.length, 1);
    assert.deepEqual(as[0]!.frustration, ['rage', 'dead']);
  });

  it('does not flag clicks far apart in space or time as rage', async () => {
    click('button.plain', 100, 100);
    mock.timers.tick(300);
    click('button.plain', 300, 100); // > 100 px from the first
    mock.timers.tick(300);
    click('button.plain', 300, 100);
    mock.timers.tick(1500); // > 1 s later
    click('button.plain', 300, 100);
    const as = await actions();
    assert.equal(as.length, 4);
    assert.ok(as.every((a) => !a.frustration?.includes('rage')));
  });

  it('flags an error click: an error within 1 s after the click', async () => {
    click('button[aria-label]');
    mock.timers.tick(400);
    reportError('source', new TypeError('x is undefined'));
    const as = await actions();
    assert.deepEqual(as[0]!.frustration, ['dead', 'error']);
    const [err] = events('error');
    assert.equal(err!.kind, 'TypeError');
    assert.equal(err!.message, 'x is undefined');
  });

  it('treats leaving the page as activity: a click that navigates is not dead', async () => {
    click('.dead');
    flushClicks(true);
    await flush();
    assert.equal(events('action')[0]!.frustration, undefined);
  });
});
