// OpenTelemetry for the demo site's backend: with it, demo/serve.mjs is an
// instrumented service whose spans Fovea shows beneath the browser request
// that caused them. Loaded only when serve.mjs is given a server key, so the
// demo without tracing imports no OpenTelemetry at all.
//
// - incoming requests: the HTTP instrumentation starts a SERVER span per
//   request, child of the `traceparent` the browser SDK sent (requests for
//   static files, the SDK and /config.js are not traced: only /api/* and
//   HTML documents are);
// - export: OTLP/HTTP to `${fovea}/v1/traces` with `x-fovea-key`, protobuf by
//   default (`protocol: 'json'` for OTLP/JSON), in batches every 500 ms so
//   spans show up in Fovea quickly;
// - outgoing requests to Fovea (the exporter's own) are never traced.
//
// Why the explicit require below: serve.mjs imports node:http statically, so
// node:http is loaded before the instrumentation's require hook exists. The
// instrumentation patches `http.Server.prototype.emit` (shared by every
// server, already created or not), and requiring node:http once the hook is
// registered applies that patch. The hook sees node:http only once per
// process (require-in-the-middle caches what it returned), so the process
// keeps one HttpInstrumentation: a later start re-enables it, which patches
// again, where a new instance would never be handed node:http.
import { createRequire } from 'node:module';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** The process's HTTP instrumentation, made by the first start (see above). */
let http = null;

const KINDS = { internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER };

/** Whether an incoming request gets a span: /api/* and HTML documents (paths without an extension, or .html). */
export function traced(path) {
  if (path.startsWith('/api/')) return true;
  if (path === '/config.js' || path.startsWith('/sdk/') || path.startsWith('/img/')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.') || last.endsWith('.html');
}

/**
 * Starts tracing this process. `fovea`: the Fovea base URL; `serverKey`: the
 * app's server key; `protocol`: 'protobuf' or 'json'. Resolves to
 * `{ tracer, inSpan, route, fail, serverTiming, shutdown }`:
 * - inSpan(name, { kind, attributes }, fn): runs fn(span) in a child span of
 *   the active one, ends it, marks it failed if fn throws;
 * - route(method, route): names the active server span `${method} ${route}`;
 * - fail(error): records `error` on the active span (an exception event) and
 *   marks it failed (the HTTP instrumentation then sets ERROR on 5xx itself,
 *   without a message);
 * - serverTiming(): the `Server-Timing` value carrying the active span's
 *   traceparent (for HTML documents: the SDK links the page load to it), or null;
 * - shutdown(): flushes the spans not yet sent and stops tracing.
 */
export async function startTracing({ fovea, serverKey, serviceName = 'demo-shop-api', protocol = 'protobuf', delayMillis = 500 }) {
  if (!fovea || !serverKey) throw new Error('startTracing: fovea and serverKey are required');
  const foveaUrl = new URL(fovea);
  const Exporter = protocol === 'json' ? OTLPJsonExporter : OTLPProtoExporter;
  const exporter = new Exporter({ url: new URL('/v1/traces', foveaUrl).href, headers: { 'x-fovea-key': serverKey } });
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: 'demo-1.0', 'deployment.environment.name': 'demo' })),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: delayMillis })],
  });
  // global tracer provider, AsyncLocalStorage context manager, W3C trace context propagator
  provider.register();

  const foveaPort = foveaUrl.port || (foveaUrl.protocol === 'https:' ? '443' : '80');
  const config = {
    ignoreIncomingRequestHook: (req) => !traced(new URL(req.url ?? '/', 'http://x').pathname),
    ignoreOutgoingRequestHook: (opts) =>
      (opts.hostname ?? opts.host ?? '').replace(/:\d+$/, '') === foveaUrl.hostname && String(opts.port ?? foveaPort) === foveaPort,
  };
  if (http) http.setConfig(config);
  else http = new HttpInstrumentation({ ...config, enabled: false });
  http.setTracerProvider(provider);
  http.enable();
  createRequire(import.meta.url)('node:http');

  const tracer = trace.getTracer('fovea-demo', '1.0');
  const inSpan = (name, { kind = 'internal', attributes = {} } = {}, fn) =>
    tracer.startActiveSpan(name, { kind: KINDS[kind] ?? SpanKind.INTERNAL, attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (e) {
        span.recordException(e);
        span.setStatus({ code: SpanStatusCode.ERROR, message: e?.message });
        throw e;
      } finally {
        span.end();
      }
    });
  const route = (method, r) => {
    const span = trace.getActiveSpan();
    span?.updateName(`${method} ${r}`);
    span?.setAttribute('http.route', r);
  };
  const serverTiming = () => {
    const sc = trace.getActiveSpan()?.spanContext();
    if (!sc || !trace.isSpanContextValid(sc)) return null;
    return `traceparent;desc="00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}"`;
  };
  const shutdown = async () => {
    http.disable();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  };
  const fail = (e) => {
    const span = trace.getActiveSpan();
    span?.recordException(e);
    span?.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  };
  return { tracer, inSpan, route, fail, serverTiming, shutdown };
}
