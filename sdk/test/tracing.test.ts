// RUM <-> APM correlation: the trace headers sent to allowedTracingUrls
// (W3C traceparent, b3, Datadog), their sampled flag, the ids on resources
// and network errors, and the page load's trace from Server-Timing.
import { win } from './dom.js';
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import { flush } from '../src/index.js';
import { initNetwork } from '../src/network.js';
import { S } from '../src/state.js';
import { startView } from '../src/views.js';
import type { Options } from '../src/types.js';
import { events, setup, view } from './harness.js';

const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/;

/** Headers of the requests the page made, as the server would get them. */
const api: { url: string; headers: Headers }[] = [];

/** An XMLHttpRequest as browsers treat headers: a header set twice is joined with ", ". */
class FakeXHR {
  status = 0;
  url = '';
  headers: Record<string, string> = {};
  private ls: Record<string, (() => void)[]> = {};
  open(_m: string, u: string) {
    this.url = u;
    this.headers = {};
  }
  setRequestHeader(k: string, v: string) {
    k = k.toLowerCase();
    this.headers[k] = this.headers[k] == null ? v : `${this.headers[k]}, ${v}`;
  }
  addEventListener(t: string, f: () => void) {
    (this.ls[t] ||= []).push(f);
  }
  send() {
    api.push({ url: this.url, headers: new Headers(this.headers) });
    setTimeout(() => {
      this.status = this.url.includes('/fail') ? 500 : 200;
      for (const f of this.ls.loadend || []) f();
    });
  }
}

const xhr = (url: string, headers: Record<string, string> = {}) =>
  new Promise<void>((done) => {
    const x = new (win as unknown as { XMLHttpRequest: typeof FakeXHR }).XMLHttpRequest();
    x.open('GET', url);
    for (const k in headers) x.setRequestHeader(k, headers[k]!);
    x.addEventListener('loadend', () => setTimeout(done));
    x.send();
  });

/** Sends what the requests made (resources wait 300 ms for their timing entry). */
const settled = async () => {
  await new Promise((r) => setTimeout(r, 350));
  await flush();
};

const tracing: Options['allowedTracingUrls'] = [
  'https://api.shop.example/',
  { match: /\/b3\//, propagators: ['b3'] },
  { match: 'https://dd.shop.example/', propagators: ['datadog', 'tracecontext'] },
  { match: 'https://none.shop.example/', propagators: [] },
];

describe('trace propagation', () => {
  before(() => {
    (win as unknown as { fetch: unknown }).fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      api.push({ url, headers: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)) });
      return new Response('{}', { status: url.includes('/fail') ? 500 : 200 });
    };
    (win as unknown as { XMLHttpRequest: unknown }).XMLHttpRequest = FakeXHR;
    initNetwork();
  });
  beforeEach(() => {
    api.length = 0;
    setup({ allowedTracingUrls: tracing });
  });

  it('XHR keeps a traceparent the page set: it was joined with ours into one invalid header', async () => {
    // Two values in one traceparent are no trace context: the backend dropped both.
    const own = '00-11111111111111111111111111111111-2222222222222222-01';
    await xhr('https://api.shop.example/own', { TraceParent: own });
    await xhr('https://api.shop.example/cart', { 'x-a': 'b' });
    assert.equal(api[0]!.headers.get('traceparent'), own);
    const [, trace, span, flag] = TP.exec(api[1]!.headers.get('traceparent')!)!;
    assert.equal(flag, '1');
    assert.equal(api[1]!.headers.get('x-a'), 'b');
    await settled();
    const res = events('resource');
    assert.equal(res.find((r) => r.resource_url.endsWith('/own'))!.trace_id, undefined, 'ids that were not sent are not recorded');
    const cart = res.find((r) => r.resource_url.endsWith('/cart'))!;
    assert.deepEqual([cart.kind, cart.trace_id, cart.span_id], ['xhr', trace, span]);
  });

  it('a session sampled out still sends the context, flagged not sampled (-00)', async () => {
    setup({ allowedTracingUrls: tracing }, view({ id: 'out', ss: false }));
    await window.fetch('https://api.shop.example/cart');
    await xhr('https://api.shop.example/cart');
    await window.fetch('https://cdn.shop.example/x.json');
    assert.equal(TP.exec(api[0]!.headers.get('traceparent')!)![3], '0');
    assert.equal(TP.exec(api[1]!.headers.get('traceparent')!)![3], '0');
    assert.equal(api[2]!.headers.get('traceparent'), null, 'not an allowed URL');
    await settled();
    assert.deepEqual(events().filter((e) => e.view_id == 'out'), [], 'and nothing is collected');
  });

  it('a failed traced request: its network error carries the ids of its resource', async () => {
    await window.fetch('https://api.shop.example/fail');
    await xhr('https://api.shop.example/fail?x=1');
    await window.fetch('https://cdn.shop.example/fail');
    await settled();
    const errs = events('error');
    assert.equal(errs.length, 3);
    for (const [i, e] of errs.slice(0, 2).entries()) {
      const [, trace, span] = TP.exec(api[i]!.headers.get('traceparent')!)!;
      assert.deepEqual([e.trace_id, e.span_id], [trace, span]);
      const r = events('resource').find((x) => x.resource_url == e.resource_url)!;
      assert.deepEqual([r.trace_id, r.span_id], [trace, span]);
    }
    assert.equal(errs[2]!.trace_id, undefined, 'not traced');
  });

  it('propagators: b3 single header, Datadog decimal ids, several at once, none', async () => {
    await window.fetch('https://shop.example/b3/a');
    await xhr('https://dd.shop.example/a');
    await window.fetch('https://none.shop.example/a');
    const b3 = api[0]!.headers;
    const m = /^([0-9a-f]{32})-([0-9a-f]{16})-1$/.exec(b3.get('b3')!)!;
    assert.equal(b3.get('traceparent'), null, 'only the propagators asked for');
    const dd = api[1]!.headers;
    const [, trace, span] = TP.exec(dd.get('traceparent')!)!;
    assert.equal(dd.get('x-datadog-trace-id'), BigInt('0x' + trace!.slice(16)).toString(), 'the lower 64 bits');
    assert.equal(dd.get('x-datadog-parent-id'), BigInt('0x' + span).toString());
    assert.match(dd.get('x-datadog-trace-id')!, /^\d+$/);
    assert.equal(dd.get('x-datadog-sampling-priority'), '1');
    assert.equal(dd.get('x-datadog-origin'), 'rum');
    assert.deepEqual([...api[2]!.headers.keys()], [], 'no propagator, no header');
    await settled();
    const ids = (p: string) => events('resource').find((r) => r.resource_url.includes(p))!;
    assert.deepEqual([ids('/b3/').trace_id, ids('/b3/').span_id], [m[1], m[2]]);
    assert.deepEqual([ids('dd.shop').trace_id, ids('dd.shop').span_id], [trace, span]);
    assert.equal(ids('none.shop').trace_id, undefined, 'no header sent, no ids recorded');
  });

  it("the prefix '' matches every URL, as it did before entries could be objects", async () => {
    setup({ allowedTracingUrls: [''] });
    await window.fetch('https://cdn.shop.example/x.json');
    assert.match(api[0]!.headers.get('traceparent')!, TP);
    await settled();
  });

  it('consent denied: nothing is kept, so -00; pending consent may still be granted, so -01', async () => {
    setup({ allowedTracingUrls: tracing, consent: 'pending' }, view({ id: 'consent' }));
    await window.fetch('https://api.shop.example/a');
    S.c = 'denied';
    await window.fetch('https://api.shop.example/b');
    assert.deepEqual(
      api.map((a) => TP.exec(a.headers.get('traceparent')!)![3]),
      ['1', '0'],
    );
    await settled();
  });

  it('sampled out: b3 flag 0, Datadog priority 0', async () => {
    setup({ allowedTracingUrls: tracing }, view({ ss: false }));
    await window.fetch('https://shop.example/b3/a');
    await window.fetch('https://dd.shop.example/a');
    assert.match(api[0]!.headers.get('b3')!, /-0$/);
    assert.equal(api[1]!.headers.get('x-datadog-sampling-priority'), '0');
    assert.match(api[1]!.headers.get('traceparent')!, /-00$/);
  });

  it('a header of a propagator the page set wins: none of ours is added, no ids recorded', async () => {
    await window.fetch('https://dd.shop.example/a', { headers: { 'X-Datadog-Trace-Id': '42' } });
    await xhr('https://shop.example/b3/a', { B3: '0' });
    assert.deepEqual([...api[0]!.headers.entries()], [['x-datadog-trace-id', '42']]);
    assert.deepEqual([...api[1]!.headers.entries()], [['b3', '0']]);
    await settled();
    const res = events('resource').filter((r) => /dd\.shop|\/b3\//.test(r.resource_url));
    assert.equal(res.length, 2);
    assert.ok(res.every((r) => r.trace_id == undefined && r.span_id == undefined));
  });
});

describe('page load trace from Server-Timing', () => {
  const real = performance.getEntriesByType.bind(performance);
  let serverTiming: { name: string; description: string }[] | undefined;
  before(() => {
    performance.getEntriesByType = ((t: string) =>
      t == 'navigation' ? [{ serverTiming }] : real(t)) as typeof performance.getEntriesByType;
  });

  /** The initial-load view's trace_id and span_id when the document came with `entries`. */
  const check = async (entries: { name: string; description: string }[] | undefined) => {
    setup({});
    serverTiming = entries;
    startView(undefined, 'initial_load');
    await flush();
    // (the view setup() left is finalised first)
    const v = events('view').findLast((x) => x.loading_type == 'initial_load')!;
    return v.trace_id === undefined ? undefined : [v.trace_id, v.span_id];
  };
  const T = '4bf92f3577b34da6a3ce929d0e0e4736';
  const P = '00f067aa0ba902b7';

  it('puts the traceparent of the document response on the initial-load view', async () => {
    assert.deepEqual(await check([{ name: 'cache', description: 'hit' }, { name: 'traceparent', description: `00-${T}-${P}-01` }]), [T, P]);
    assert.deepEqual(await check([{ name: 'traceparent', description: `00-${T}-${P}-00` }]), [T, P], 'whatever the flags');
    // a later route change is not the document request
    startView();
    await flush();
    const rc = events('view').find((x) => x.loading_type == 'route_change')!;
    assert.equal(rc.trace_id, undefined);
    assert.equal(rc.span_id, undefined);
  });

  it('ignores malformed contexts and missing timing', async () => {
    for (const d of [
      `00-${'0'.repeat(32)}-${P}-01`, // trace id all zeros
      `00-${T}-${'0'.repeat(16)}-01`, // span id all zeros
      `00-${T.toUpperCase()}-${P}-01`, // not lowercase
      `ff-${T}-${P}-01`, // invalid version
      `0-${T}-${P}-01`,
      `00-${T}-${P}`,
      `00-${T}1-${P}-01`,
      `"00-${T}-${P}-01"`,
      '',
    ])
      assert.equal(await check([{ name: 'traceparent', description: d }]), undefined, d);
    assert.equal(await check([{ name: 'tp', description: `00-${T}-${P}-01` }]), undefined);
    assert.equal(await check(undefined), undefined, 'no serverTiming (Safari before 16.4)');
    performance.getEntriesByType = (() => {
      throw new Error('no timeline');
    }) as typeof performance.getEntriesByType;
    assert.equal(await check([]), undefined, 'never throws');
  });
});
