#!/usr/bin/env node
// Writes the OTLP fixtures of Fovea's OTLP intake tests
// (crates/intake/tests/fixtures/otlp/) with the real OpenTelemetry JS SDK
// and its real OTLP/HTTP exporters, so the Rust decoder is tested against
// what an instrumented service actually sends, not against our own reading
// of the spec.
//
//   cd demo && npm ci && node otlp-fixtures.mjs
//
// A capture server on 127.0.0.1 (random port) plays Fovea's /v1/traces and
// keeps each request body byte for byte. The same three spans (fixed ids,
// fixed timestamps: the output only changes when the SDK does) go out three
// times, each through its own tracer provider:
// - traces.pb: @opentelemetry/exporter-trace-otlp-proto (application/x-protobuf);
// - traces.pb.gz: the same exporter with `compression: 'gzip'` (Content-Encoding: gzip);
// - traces.json: @opentelemetry/exporter-trace-otlp-http (application/json).
// README.md beside them lists what a decoder must find in them.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

const here = fileURLToPath(new URL('.', import.meta.url));
const OUT = resolve(here, '..', 'crates', 'intake', 'tests', 'fixtures', 'otlp');

export const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const [, TRACE_ID, PARENT_ID] = TRACEPARENT.split('-');
/** The span ids, in the order the spans are started. */
const IDS = { server: '5fb397be34d26b51', db: '9c3a1f2e7d4b6a08', internal: 'e2f1c0b9a8d7c6b5' };
const SERVER_KEY = 'fixture-server-key';
const RESOURCE = { 'service.name': 'fixture-api', 'service.version': '1.2.3', 'deployment.environment.name': 'test', 'host.name': 'fixture-host' };
const SCOPE = { name: 'fixture-tracer', version: '0.1.0' };
/** 2026-01-01T12:00:00Z, in seconds; span times are [T, nanoseconds] (HrTime). */
const T = Date.UTC(2026, 0, 1, 12) / 1000;
const at = (ns) => [T, ns];
const nanos = (ns) => (BigInt(T) * 1_000_000_000n + BigInt(ns)).toString();
const TIMES = {
  server: [100_000_000, 612_345_678],
  db: [110_000_000, 530_000_000],
  event: 320_000_000,
  internal: [540_000_000, 590_000_000],
};

/** Hands out the fixed span ids in order (the SDK asks once per started span). */
function fixedIds() {
  const spans = [IDS.server, IDS.db, IDS.internal];
  let i = 0;
  return { generateTraceId: () => TRACE_ID, generateSpanId: () => spans[i++ % spans.length] };
}

function record(tracer) {
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 1, isRemote: true });
  const server = tracer.startSpan(
    'GET /api/checkout',
    {
      kind: SpanKind.SERVER,
      startTime: at(TIMES.server[0]),
      attributes: {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'url.path': '/api/checkout',
        'http.route': '/api/checkout',
        'server.address': 'shop.example',
        'server.port': 8081,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0',
        'fixture.cache_hit': false,
        'fixture.sample_ratio': 0.25,
        'fixture.tags': ['checkout', 'eu'],
      },
    },
    parent,
  );
  const inServer = trace.setSpan(parent, server);
  const db = tracer.startSpan(
    'db.query',
    {
      kind: SpanKind.CLIENT,
      startTime: at(TIMES.db[0]),
      attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT id, status, total FROM orders WHERE customer_id = $1' },
    },
    inServer,
  );
  db.addEvent('retry', { 'retry.attempt': 1, 'retry.reason': 'deadlock' }, at(TIMES.event));
  db.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  db.end(at(TIMES.db[1]));
  const internal = tracer.startSpan('inventory.reserve', { kind: SpanKind.INTERNAL, startTime: at(TIMES.internal[0]), attributes: { 'inventory.items': 3 } }, inServer);
  internal.end(at(TIMES.internal[1]));
  server.setAttribute('http.response.status_code', 200);
  server.end(at(TIMES.server[1]));
}

/** Sends the spans through `exporter` in one batch. */
async function exportWith(exporter) {
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(RESOURCE)),
    idGenerator: fixedIds(),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  record(provider.getTracer(SCOPE.name, SCOPE.version));
  await provider.forceFlush();
  await provider.shutdown();
}

function version(pkg) {
  return JSON.parse(readFileSync(join(here, 'node_modules', ...pkg.split('/'), 'package.json'), 'utf8')).version;
}

async function main() {
  const captured = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      captured.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end();
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/v1/traces`;
  const headers = { 'x-fovea-key': SERVER_KEY };
  const take = async (exporter, what) => {
    const before = captured.length;
    await exportWith(exporter);
    const got = captured.slice(before);
    if (got.length !== 1) throw new Error(`${what}: expected one request, got ${got.length}`);
    const [r] = got;
    if (r.method !== 'POST' || r.path !== '/v1/traces' || r.headers['x-fovea-key'] !== SERVER_KEY) throw new Error(`${what}: unexpected request ${r.method} ${r.path}`);
    return r;
  };
  const pb = await take(new OTLPProtoExporter({ url, headers, compression: 'none' }), 'protobuf');
  const gz = await take(new OTLPProtoExporter({ url, headers, compression: 'gzip' }), 'protobuf+gzip');
  const js = await take(new OTLPJsonExporter({ url, headers, compression: 'none' }), 'json');
  server.close();

  if (!gunzipSync(gz.body).equals(pb.body)) throw new Error('the gzip body does not inflate to the protobuf body');
  // OTLP/JSON differs from the canonical proto3 JSON mapping: ids are hex, not base64
  const json = JSON.parse(js.body.toString('utf8'));
  const spans = json.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
  const hexIds = spans.every((s) => /^[0-9a-f]{32}$/.test(s.traceId) && /^[0-9a-f]{16}$/.test(s.spanId));
  if (spans.length !== 3 || byName['GET /api/checkout']?.parentSpanId !== PARENT_ID) throw new Error('unexpected JSON content');

  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'traces.pb'), pb.body);
  writeFileSync(join(OUT, 'traces.pb.gz'), gz.body);
  writeFileSync(join(OUT, 'traces.json'), js.body);
  const sha = (b) => createHash('sha256').update(b).digest('hex');
  const versions = ['@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/sdk-trace', '@opentelemetry/resources', '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/otlp-transformer'].map((p) => `${p} ${version(p)}`);
  const row = (file, r) => `| \`${file}\` | ${r.body.length} | \`${r.headers['content-type']}\`${r.headers['content-encoding'] ? `, \`content-encoding: ${r.headers['content-encoding']}\`` : ''} | \`${sha(r.body).slice(0, 16)}…\` |`;
  const span = (name, id, parent, kind, [start, end], rest) => `| \`${name}\` | \`${id}\` | \`${parent}\` | ${kind} | ${nanos(start)} | ${nanos(end)} | ${rest} |`;
  writeFileSync(
    join(OUT, 'README.md'),
    `# OTLP trace fixtures

Written by the real OpenTelemetry JS SDK and its OTLP/HTTP exporters, captured byte for byte
by a local server standing in for Fovea's \`POST /v1/traces\`. Do not edit them by hand:
regenerate them (the output only changes when the SDK versions do, ids and times are fixed):

\`\`\`sh
cd demo && npm ci && node otlp-fixtures.mjs
\`\`\`

Node ${process.version}; ${versions.join(', ')} (demo/package-lock.json pins them).

| file | bytes | sent as | sha256 |
| --- | --- | --- | --- |
${row('traces.pb', pb)}
${row('traces.pb.gz', gz)}
${row('traces.json', js)}

Every request carried \`x-fovea-key: ${SERVER_KEY}\` and \`user-agent: ${pb.headers['user-agent']}\`,
and was sent with \`transfer-encoding: ${pb.headers['transfer-encoding'] ?? 'none'}\` (no content-length).
\`traces.pb.gz\` inflates to exactly \`traces.pb\`; \`traces.json\` holds the same data.

## What a decoder must find (all three files)

One resource, one scope, **3 spans**, all in trace \`${TRACE_ID}\`; the server span's parent is
the remote span of the traceparent \`${TRACEPARENT}\`.

- resource: ${Object.entries(RESOURCE).map(([k, v]) => `\`${k}\` = "${v}"`).join(', ')}, plus the SDK's defaults \`telemetry.sdk.language\` = "nodejs", \`telemetry.sdk.name\` = "opentelemetry", \`telemetry.sdk.version\` = "${version('@opentelemetry/sdk-trace-base')}";
- scope: \`${SCOPE.name}\` version \`${SCOPE.version}\`.

| name | span id | parent span id | kind | start (unix ns) | end (unix ns) | more |
| --- | --- | --- | --- | --- | --- | --- |
${span('GET /api/checkout', IDS.server, PARENT_ID, 'SERVER (2)', TIMES.server, `status UNSET; flags ${byName['GET /api/checkout'].flags} (0x${byName['GET /api/checkout'].flags.toString(16)}: sampled, parent known and remote); attributes \`http.request.method\` "GET", \`url.scheme\` "http", \`url.path\` "/api/checkout", \`http.route\` "/api/checkout", \`server.address\` "shop.example", \`server.port\` 8081 (int), \`user_agent.original\`, \`fixture.cache_hit\` false (bool), \`fixture.sample_ratio\` 0.25 (double), \`fixture.tags\` ["checkout", "eu"] (array), \`http.response.status_code\` 200 (int)`)}
${span('db.query', IDS.db, IDS.server, 'CLIENT (3)', TIMES.db, `status ERROR (2) "deadlock"; flags ${byName['db.query'].flags} (0x${byName['db.query'].flags.toString(16)}: sampled, parent known and local); attributes \`db.system\` "postgresql", \`db.statement\` "SELECT id, status, total FROM orders WHERE customer_id = $1"; one event \`retry\` at ${nanos(TIMES.event)} with \`retry.attempt\` 1 (int), \`retry.reason\` "deadlock"`)}
${span('inventory.reserve', IDS.internal, IDS.server, 'INTERNAL (1)', TIMES.internal, `status UNSET; flags ${byName['inventory.reserve'].flags}; attribute \`inventory.items\` 3 (int)`)}

The spans appear in the order they ended: \`db.query\`, \`inventory.reserve\`, \`GET /api/checkout\`.

The protobuf is valid but not canonical: the JS encoder writes some zero fields out (e.g.
\`dropped_attributes_count = 0\`), so a decoded and re-encoded message is shorter than the file: compare decoded
values, never re-encoded bytes.

## How the JS exporter writes OTLP/JSON (\`traces.json\`)

- \`traceId\`, \`spanId\`, \`parentSpanId\`: ${hexIds ? 'lowercase hex strings, as the OTLP/JSON spec says (not the base64 of the canonical proto3 JSON mapping: a generic proto3 JSON parser misreads them)' : 'NOT hex: see the file'};
- times (\`startTimeUnixNano\`, \`timeUnixNano\`...): decimal strings;
- \`intValue\`: a JSON number (proto3 JSON allows number or string for int64: accept both);
- \`kind\`, \`status.code\`: integers, not enum names;
- empty and zero fields are written out (\`"events": []\`, \`"droppedAttributesCount": 0\`), and \`status\` of an unset span is \`{"code": 0}\`.
`,
  );
  console.log(`wrote traces.pb (${pb.body.length} B), traces.pb.gz (${gz.body.length} B), traces.json (${js.body.length} B) and README.md to ${OUT}`);
  if (!hexIds) console.log('note: the JSON exporter did not write hex ids');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
