// The server's sampling config in the browser (src/sampling.ts, the rules
// engine in src/deferred/rules.ts): the shared bucket, rule matching, key
// pages, exclusions, the fallback without a config, and what the batch
// header says of the decision.
import { win } from './dom.js';
import './clock.js';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { beforeEach, describe, it, mock } from 'node:test';
import { track } from '../src/emit.js';
import { flush, optOut, setConsent } from '../src/index.js';
import { bucket, kept } from '../src/lib/bucket.js';
import { glob } from '../src/lib/glob.js';
import { loadDeferred, type DeferredHook } from '../src/deferred.js';
import { captureBase } from '../src/replay.js';
import { excluded, routeOf, rule, template } from '../src/deferred/rules.js';
import { decide, FRESH, loadConfig, ready, resetConfig } from '../src/sampling.js';
import { persistSession, session } from '../src/session.js';
import { S } from '../src/state.js';
import { idle, resetTransport, send } from '../src/transport.js';
import type { Options, SdkConfig, View } from '../src/types.js';
import { startView } from '../src/views.js';
import { configAnswers, configs, events, sent, setup } from './harness.js';

const vectors = JSON.parse(readFileSync(new URL('../../crates/schema/sampling_vectors.json', import.meta.url), 'utf8')) as {
  cases: { session_id: string; hash: number; bucket: number; kept: Record<string, boolean> }[];
};

describe('the shared session bucket (crates/schema/sampling_vectors.json)', () => {
  it('gives every case its bucket and kept decisions, as the server does', () => {
    assert.ok(vectors.cases.length > 10);
    for (const c of vectors.cases) {
      assert.equal(bucket(c.session_id), c.bucket, `bucket of ${JSON.stringify(c.session_id)}`);
      for (const [rate, k] of Object.entries(c.kept)) assert.equal(kept(bucket(c.session_id), +rate), k, `${c.session_id} at ${rate} %`);
    }
  });

  it('keeps about the rate of random sessions', () => {
    let n = 0;
    for (let i = 0; i < 4000; i++) if (kept(bucket(crypto.randomUUID()), 30)) n++;
    assert.ok(n > 4000 * 0.27 && n < 4000 * 0.33, `kept ${n} of 4000 at 30 %`);
  });
});

const templates = JSON.parse(readFileSync(new URL('../../crates/schema/route_template_vectors.json', import.meta.url), 'utf8')) as {
  cases: [string, string][];
};

describe('route templates (crates/schema/route_template_vectors.json)', () => {
  it('turns every case into the template the server stores', () => {
    assert.ok(templates.cases.length > 10);
    const wrong = templates.cases.filter(([path, want]) => template(path) != want).map(([path, want]) => `${path}: ${template(path)} (want ${want})`);
    assert.deepEqual(wrong, []);
  });

  it("templates a view's route when it is the URL's path, or its path and #hash, as the server does; any other name as it is", () => {
    const at = (route: string, url: string) => routeOf({ route, url } as View);
    assert.equal(at('/orders/42', 'https://shop.example/orders/42?tab=2'), '/orders/:id', 'the default route: the path');
    assert.equal(at('/app#/orders/42', 'https://shop.example/app?x=1#/orders/42?tab=2'), '/app#/orders/:id', 'the path and a hash route');
    assert.equal(at('/', 'https://shop.example'), '/');
    assert.equal(at('/orders/42', 'https://shop.example/orders/42#/x'), '/orders/:id', 'a routeName giving the path is templated too');
    assert.equal(at('/orders/42', 'https://shop.example/cart'), '/orders/42', 'a name that is not the path: as it is');
    assert.equal(at('/orders/:id', 'https://shop.example/orders/42'), '/orders/:id');
    assert.equal(at('order 42', 'https://shop.example/orders/42'), 'order 42');
    assert.equal(at('/app#/7', 'https://shop.example/app#/8'), '/app#/7', 'a hash the URL does not have');
    assert.equal(at('/orders/42', '/orders/42'), '/orders/:id', 'a URL without scheme and host is its path');
  });
});

describe('route globs', () => {
  it('`*` is any run of characters, slashes included; the rest literal, the whole string, case-sensitive', () => {
    assert.ok(glob('/checkout*', '/checkout'));
    assert.ok(glob('/checkout*', '/checkout/pay/3'));
    assert.ok(glob('/admin/*', '/admin/users/7'));
    assert.ok(!glob('/admin/*', '/admin'));
    assert.ok(glob('*/edit', '/orders/7/edit'));
    assert.ok(glob('/a*b*c', '/aXXbYYc'));
    assert.ok(!glob('/health', '/health/live'), 'whole string');
    assert.ok(!glob('/health', '/x/health'));
    assert.ok(!glob('/Checkout*', '/checkout'), 'case-sensitive');
    assert.ok(glob('/p.html?(x)+[y]{z}^$|\\', '/p.html?(x)+[y]{z}^$|\\'), 'regex characters are literal');
    assert.ok(!glob('/p.html', '/pXhtml'));
    assert.ok(glob('*', ''));
  });
});

describe('rules', () => {
  const o = { endpoint: 'e', key: 'k', env: 'prod', release: '1.2.0' } as Options;
  const g: SdkConfig = {
    rules: [
      { match: { route: '/checkout*', device: 'MOBILE' }, session_rate: 100, replay_rate: 20, keep: true },
      { match: { route: '/checkout*' }, session_rate: 50 },
      { match: { env: 'Prod' }, session_rate: 1 },
      { match: { release: '1.2.0', country: 'fr', route: null, env: undefined }, session_rate: 2 },
      { match: {}, session_rate: 3 },
    ],
    default: { session_rate: 10, replay_rate: 0 },
    client: { device: 'mobile', country: 'FR' },
  };

  it('the first matching rule wins; device and country case-insensitive, env and release exact, null or absent keys match anything', () => {
    assert.equal(rule(g, '/checkout/pay', o).session_rate, 100, 'MOBILE matches mobile');
    assert.equal(rule({ ...g, client: { device: 'desktop', country: 'FR' } }, '/checkout/pay', o).session_rate, 50);
    assert.equal(rule({ ...g, client: { device: null, country: 'FR' } }, '/checkout', o).session_rate, 50, 'an unknown device matches no device rule');
    assert.equal(rule(g, '/cart', o).session_rate, 2, "env 'Prod' is not 'prod'; fr matches FR");
    assert.equal(rule(g, '/cart', { ...o, release: '1.3.0' }).session_rate, 3, 'an empty match matches everything');
  });

  it('the default closes the list', () => {
    const d = { ...g, rules: g.rules!.slice(0, 2) };
    assert.deepEqual(rule(d, '/cart', o), { session_rate: 10, replay_rate: 0 });
    assert.deepEqual(rule({ default: { session_rate: 7 } }, '/x', o), { session_rate: 7 }, 'no rules at all');
  });

  it('excludes envs and routes', () => {
    const x: SdkConfig = { default: { session_rate: 100 }, exclude: { envs: ['staging'], routes: ['/health*', '/admin/*'] } };
    assert.ok(excluded(x, '/cart', { ...o, env: 'staging' }));
    assert.ok(!excluded(x, '/cart', o));
    assert.ok(!excluded(x, '/cart', { ...o, env: undefined }));
    assert.ok(excluded(x, '/health/live', o));
    assert.ok(excluded(x, '/admin/users', o));
    assert.ok(!excluded(x, '/administration', o));
    assert.ok(!excluded({ default: { session_rate: 1 } }, '/health', o));
  });
});

// A page of a session: the SDK as init leaves it (minus the collectors),
// the sampling config answered with `config` (a body, or a function giving
// the response), the deferred chunk from the sources. The page asks the
// server (the config an earlier page stored is taken to be stale) unless
// `stored`.
const g = globalThis as { __foveaDeferred?: DeferredHook };
// the core's script URL, which the chunk is imported beside
Object.defineProperty(document, 'currentScript', { configurable: true, value: { src: 'https://fovea.example/sdk/fovea.min.js' } });
captureBase();
Object.defineProperty(document, 'currentScript', { configurable: true, value: null });
const imported: string[] = [];
type Answer = () => Response | Promise<Response>;
const page = (config: object | Answer, o: Partial<Options> = {}, path = '/cart', stored = false) => {
  if (!stored) localStorage.removeItem('fovea_c_k1');
  resetTransport();
  resetConfig();
  setup(o);
  S.g = undefined;
  S.v = S.p = undefined;
  S.r = [];
  history.replaceState({}, '', path);
  g.__foveaDeferred ||= { i: (u) => (imported.push(u), import('../src/deferred/index.js')) };
  loadDeferred();
  configAnswers.push(typeof config == 'function' ? (config as Answer) : () => Response.json(config));
  loadConfig();
  startView(undefined, 'initial_load');
};
const act = (name: string) => track('action', { action_type: 'custom', name });
const go = (path: string) => {
  history.pushState({}, '', path);
  startView();
};
const names = () => events('action').map((e) => e.name);

describe('the sampling config in the SDK', () => {
  beforeEach(() => {
    persistSession('denied'); // a new visit: no session, no hold
    persistSession('granted');
    localStorage.clear();
    Object.defineProperty(win.navigator, 'webdriver', { value: false, configurable: true });
  });

  it('sends nothing until the config answered, then what the decision keeps, with the decision in the header', async () => {
    let answer!: (r: Response) => void;
    page(() => new Promise<Response>((r) => (answer = r)));
    act('early');
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 0, 'nothing before the answer');
    answer(Response.json({ default: { session_rate: 100, replay_rate: 0 }, client: { device: 'desktop', country: 'FR' }, quota_until: null }));
    await flush();
    assert.deepEqual(names(), ['early'], 'buffered, then sent');
    assert.deepEqual(sent[0]!.body.session, { id: S.v!.sid, rate: 100 });
    assert.equal(sent[0]!.body.context.automation, undefined, 'no automation signal');
  });

  // Regression: the answer sent what waited at once, one more request of ~1.5 ms of main thread a page.
  it('the answer sends nothing by itself: what waited leaves with the send scheduled at the first event', async () => {
    let answer!: (r: Response) => void;
    page(() => new Promise<Response>((r) => (answer = r)));
    act('early');
    answer(Response.json({ default: { session_rate: 100, replay_rate: 0 } }));
    await ready;
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 0, 'not at the answer');
    mock.timers.tick(1000); // the flushInterval
    await new Promise((r) => setImmediate(r));
    await idle();
    assert.deepEqual(names(), ['early']);
  });

  it('uses the normal HTTP cache for the config (revalidated with its ETag), and no cookies', async () => {
    page({ default: { session_rate: 100 } });
    await flush();
    assert.equal(configs.length, 1);
    assert.equal(configs[0]!.url, 'https://fovea.example/api/v1/sdk-config?key=k1');
    assert.equal(configs[0]!.init.cache, undefined, 'not no-store, not reload');
    assert.equal(configs[0]!.init.credentials, 'omit');
    assert.equal(imported.at(-1), 'https://fovea.example/sdk/fovea-deferred.min.js', 'the rules engine, from beside the core');
  });

  it('keeps the answer for the next pages of the app: no request for 5 minutes, then asked again', async () => {
    const cfg = { rules: [{ match: { route: '/cart' }, session_rate: 0 }], default: { session_rate: 100 } };
    page(cfg);
    await flush();
    assert.equal(configs.length, 1);
    assert.match(localStorage.getItem('fovea_c_k1')!, new RegExp(`^${Date.now()} \\{"rules"`));
    // a later page, the rules changed on the server meanwhile: the stored ones decide, no request
    mock.timers.tick(FRESH - 1);
    page({ default: { session_rate: 100 } }, {}, '/cart', true);
    act('within');
    await flush();
    assert.equal(configs.length, 0, 'not asked'); // (setup() empties the list)
    assert.deepEqual(names(), [], "the stored rules decided (/cart at 0 %)");
    assert.deepEqual(S.g, cfg);
    // stale: asked, and the new answer stored
    mock.timers.tick(1);
    page({ default: { session_rate: 100 } }, {}, '/cart', true);
    act('after');
    await flush();
    assert.equal(configs.length, 1, 'asked again');
    assert.deepEqual(names(), ['after']);
    assert.match(localStorage.getItem('fovea_c_k1')!, /^\d+ \{"default"/);
  });

  it('the stored config still waits for the rules engine, and stores nothing but a 2xx answer, nor from a page without consent', async () => {
    page(() => new Response('{"error":"unknown_key"}', { status: 404 }));
    await flush();
    assert.equal(localStorage.getItem('fovea_c_k1'), null, 'a failure is not kept');
    page({ default: { session_rate: 100 } }, { consent: 'pending' });
    await flush();
    assert.equal(localStorage.getItem('fovea_c_k1'), null, 'nothing stored while consent is pending');
    // stored by a page with consent; the next page uses it once the chunk ran
    page({ default: { session_rate: 100 } });
    await flush();
    const h = g.__foveaDeferred!;
    const i = h.i;
    let chunk!: () => void;
    h.i = (u) => new Promise((r) => (chunk = () => r(i!(u))));
    page({ default: { session_rate: 0 } }, {}, '/cart', true);
    act('x');
    for (let n = 0; n < 5; n++) await new Promise((r) => setImmediate(r));
    assert.equal(S.g, undefined, 'undecided until the chunk ran');
    chunk();
    await flush();
    h.i = i;
    assert.equal(configs.length, 0);
    assert.deepEqual(names(), ['x']);
  });

  it('denying consent deletes the stored config (it holds the country the server saw)', async () => {
    page({ default: { session_rate: 100 }, client: { device: 'desktop', country: 'FR' } });
    await flush();
    assert.ok(localStorage.getItem('fovea_c_k1'));
    setConsent('denied');
    assert.equal(localStorage.getItem('fovea_c_k1'), null);
  });

  it('takes the lower of the page rate and the rule of the entry context, from the bucket', async () => {
    page({ rules: [{ match: { route: '/cart' }, session_rate: 100 }], default: { session_rate: 0 } }, { sessionSampleRate: 100 });
    act('a');
    await flush();
    assert.deepEqual(names(), ['a']);
    const sid = S.v!.sid;
    // the next page of the session, the rules changed: the entry context (/cart) is judged again
    page({ rules: [{ match: { route: '/cart' }, session_rate: 0 }], default: { session_rate: 100 } }, {}, '/other');
    assert.equal(S.v!.sid, sid, 'same session');
    act('b');
    await flush();
    assert.deepEqual(names(), [], 'dropped whole under the new rules');
    // the page's own rate is an upper bound
    page({ default: { session_rate: 100 } }, { sessionSampleRate: 0 });
    act('c');
    await flush();
    assert.deepEqual(names(), []);
  });

  it('a key page upgrades a sampled-out session: nothing before it is sent, that view and the later ones are, on later pages too', async () => {
    const cfg = { rules: [{ match: { route: '/checkout*' }, session_rate: 100, keep: true }], default: { session_rate: 0 } };
    page(cfg);
    act('browsing');
    await flush();
    assert.equal(sent.length, 0, 'sampled out');
    go('/checkout/pay');
    act('pay');
    go('/thanks');
    act('thanks');
    await flush();
    assert.deepEqual(names(), ['pay', 'thanks']);
    assert.deepEqual(
      events('view').map((v) => v.route),
      ['/checkout/pay', '/thanks'],
    );
    assert.equal(sent.at(-1)!.body.session.rate, 100);
    assert.equal(sent.at(-1)!.body.session.key, true);
    assert.equal(session(false).k, true, 'stored with the session');
    // a later page of the session (entry route /cart, rate 0) is kept
    page(cfg, {}, '/cart');
    act('later');
    await flush();
    assert.deepEqual(names(), ['later']);
    assert.equal(sent[0]!.body.session.key, true);
  });

  it('the upgrade also applies to views started before the config answered', async () => {
    let answer!: (r: Response) => void;
    page(() => new Promise<Response>((r) => (answer = r)));
    act('before');
    go('/checkout');
    act('key');
    await new Promise((r) => setImmediate(r));
    answer(Response.json({ rules: [{ match: { route: '/checkout*' }, session_rate: 100, keep: true }], default: { session_rate: 0 } }));
    await flush();
    assert.deepEqual(names(), ['key']);
  });

  it("matches the page's path as the server's template: /orders/:id is the entry context of a session entering at /orders/42", async () => {
    const entry = { rules: [{ match: { route: '/orders/:id' }, session_rate: 100 }], default: { session_rate: 0 } };
    page(entry, {}, '/orders/42');
    act('entry');
    await flush();
    assert.deepEqual(names(), ['entry']);
    assert.equal(events('view')[0]!.route, '/orders/42', 'sent as it is: the server templates it');
    assert.equal(session(false).r, '/orders/:id', 'the entry route, stored as the rules see it');
    page(entry, {}, '/cart');
    act('next page');
    await flush();
    assert.deepEqual(names(), ['next page'], 'a later page of the session: its entry context still matches');
  });

  it('a view at /orders/42 is a key page of a /orders/:id rule, and excluded by /orders/:id', async () => {
    page({ rules: [{ match: { route: '/orders/:id' }, session_rate: 100, keep: true }], default: { session_rate: 0 } });
    act('cart');
    go('/orders/42');
    act('order');
    await flush();
    assert.deepEqual(names(), ['order']);
    assert.equal(sent.at(-1)!.body.session.key, true);
    // an excluded route
    page({ default: { session_rate: 100 }, exclude: { envs: [], routes: ['/orders/:id'] } });
    act('cart');
    go('/orders/42');
    act('order');
    go('/orders/42/items');
    act('items');
    await flush();
    assert.deepEqual(names(), ['cart', 'items']);
  });

  it('matches a routeName given by the page as it is', async () => {
    const named = {
      rules: [
        { match: { route: '/orders/:id' }, session_rate: 0 },
        { match: { route: 'order 42' }, session_rate: 100 },
      ],
      default: { session_rate: 0 },
    };
    page(named, { routeName: (u) => (u.includes('/orders/') ? 'order 42' : undefined) }, '/orders/42');
    act('named');
    await flush();
    assert.deepEqual(names(), ['named'], "'order 42' is not /orders/:id, and is not templated");
    assert.equal(session(false).r, 'order 42');
  });

  it('sends nothing at all for an excluded env, and nothing of a view on an excluded route', async () => {
    page({ default: { session_rate: 100 }, exclude: { envs: ['staging'], routes: [] } }, { env: 'staging' });
    act('x');
    go('/cart2');
    act('y');
    await flush();
    assert.equal(sent.length, 0);
    page({ default: { session_rate: 100 }, exclude: { envs: [], routes: ['/admin/*'] } });
    act('cart');
    go('/admin/users');
    act('admin');
    go('/cart');
    act('back');
    await flush();
    assert.deepEqual(names(), ['cart', 'back']);
    assert.ok(events('view').every((v) => !v.route.startsWith('/admin')));
  });

  it("falls back to the page's own rates when the config fails: not found, network error, no answer in 5 s", async () => {
    for (const [how, answer] of [
      ['404', () => new Response('{"error":"not_found"}', { status: 404 })],
      ['network error', () => Promise.reject(new TypeError('Failed to fetch'))],
    ] as const) {
      page(answer as Answer, { sessionSampleRate: 100 });
      act(how);
      await flush();
      assert.deepEqual(names(), [how], how);
      assert.equal(sent[0]!.body.session.rate, 100);
      assert.equal(S.g, 0);
    }
    page(() => new Promise<Response>(() => undefined), { sessionSampleRate: 0 });
    act('lost');
    const done = flush();
    mock.timers.tick(4999);
    await new Promise((r) => setImmediate(r));
    assert.equal(S.g, undefined, 'still waiting');
    mock.timers.tick(1);
    await done;
    assert.equal(S.g, 0, 'fell back after 5 s');
    assert.deepEqual(names(), [], 'sessionSampleRate 0 applies');
  });

  it('sends a page hidden before the config came under the page\'s rates, not never', async () => {
    page(() => new Promise<Response>(() => undefined), { sessionSampleRate: 100 });
    act('short visit');
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 0, 'still waiting for the config');
    decide(); // what pagehide and visibilitychange do first
    await send();
    assert.deepEqual(names(), ['short visit']);
    assert.equal(S.g, 0, 'decided without rules');
  });

  it('sends the automation signals in the header', async () => {
    Object.defineProperty(win.navigator, 'webdriver', { value: true, configurable: true });
    const { automation } = await import('../src/lib/automation.js');
    S.b = automation();
    page({ default: { session_rate: 100 } });
    act('bot');
    await flush();
    assert.deepEqual(sent[0]!.body.context.automation, ['webdriver']);
    S.b = undefined;
  });

  it('takes quota_until from the config: nothing is sent, even what was waiting', async () => {
    page({ default: { session_rate: 100 }, quota_until: Date.now() + 60_000 });
    act('over');
    await flush();
    assert.equal(sent.length, 0);
    act('still over');
    await flush();
    assert.equal(sent.length, 0);
    assert.equal(localStorage.getItem('fovea_q_k1'), String(Date.now() + 60_000), 'stored for the next pages');
  });
});

describe('opt-out', () => {
  beforeEach(() => {
    resetTransport();
    setup();
    setConsent('granted');
  });

  it('optOut() sets fovea_optout=1 for a year and stops at once: what waits is dropped, nothing more is collected', async () => {
    const written: string[] = [];
    let proto = Object.getPrototypeOf(document);
    while (!Object.getOwnPropertyDescriptor(proto, 'cookie')) proto = Object.getPrototypeOf(proto);
    const desc = Object.getOwnPropertyDescriptor(proto, 'cookie')!;
    Object.defineProperty(document, 'cookie', {
      configurable: true,
      get: () => desc.get!.call(document),
      set: (v: string) => {
        written.push(v);
        desc.set!.call(document, v);
      },
    });
    try {
      act('before');
      optOut();
      assert.ok(written.includes('fovea_optout=1;path=/;max-age=31536000;SameSite=Lax;Secure'), written.join(' / '));
      assert.ok(written.some((w) => w.startsWith('fovea_s=;')), 'the stored session is deleted');
      act('after');
      await flush();
      assert.equal(sent.length, 0);
      assert.match(document.cookie, /fovea_optout=1/);
      setConsent('granted'); // the page's consent does not override the user's opt-out
      act('granted');
      await flush();
      assert.equal(sent.length, 0);
      optOut(false);
      assert.equal(written.at(-1), 'fovea_optout=;path=/;max-age=0;SameSite=Lax;Secure');
      assert.doesNotMatch(document.cookie, /fovea_optout=1/);
      act('back');
      await flush();
      assert.deepEqual(names(), ['back']);
    } finally {
      delete (document as unknown as Record<string, unknown>).cookie;
    }
  });
});
