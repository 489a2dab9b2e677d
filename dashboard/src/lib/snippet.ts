// The copy-paste setup for an app, as docs/sdk.md ("Install") writes it, with
// the script loaded from this Fovea server (`GET /sdk/fovea.min.js` serves the
// SDK build embedded in the binary, so it always matches the server) rather
// than a third-party CDN.

declare const __SDK_VERSION__: string;

/** The SDK version the snippet pins (sdk/package.json at build time). */
export const SDK_VERSION: string = typeof __SDK_VERSION__ === 'string' ? __SDK_VERSION__ : '0.1.0';
export const NPM_PACKAGE = '@fovea/browser';

/** A single-quoted JS string literal that is also safe inside an HTML `<script>` block. */
export function jsString(s: string): string {
  const body = s.replace(/[\\'\u2028\u2029\n\r<>&]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
  return `'${body}'`;
}

/** The SDK on a public CDN, pinned to the version this dashboard was built with. */
export function cdnScriptUrl(version: string = SDK_VERSION): string {
  return `https://unpkg.com/${NPM_PACKAGE}@${version}/dist/fovea.min.js`;
}

/** An HTML attribute value, escaped. */
function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function scriptSnippet(origin: string, key: string): string {
  const endpoint = origin.replace(/\/+$/, '');
  const src = `${endpoint}/sdk/fovea.min.js`;
  return [
    `<script src="${attr(src)}" crossorigin="anonymous"></script>`,
    '<script>',
    '  Fovea.init({',
    `    endpoint: ${jsString(endpoint)},`,
    `    key: ${jsString(key)},`,
    '  });',
    '</script>',
  ].join('\n');
}

export function npmSnippet(origin: string, key: string): string {
  const endpoint = origin.replace(/\/+$/, '');
  return [
    `// npm install ${NPM_PACKAGE}`,
    `import { init } from '${NPM_PACKAGE}';`,
    '',
    `init({ endpoint: ${jsString(endpoint)}, key: ${jsString(key)} });`,
  ].join('\n');
}

/**
 * The environment of an OpenTelemetry SDK that sends its traces here: the
 * SDKs append `/v1/traces` to the endpoint themselves. `key` null leaves a
 * placeholder (a key is shown only when created).
 */
export function otlpEnvSnippet(origin: string, key: string | null): string {
  const endpoint = origin.replace(/\/+$/, '');
  // header values in OTEL_EXPORTER_OTLP_HEADERS are percent-encoded
  return [
    `OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`,
    'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
    `OTEL_EXPORTER_OTLP_HEADERS=x-fovea-key=${key == null ? '<server key>' : encodeURIComponent(key)}`,
  ].join('\n');
}
