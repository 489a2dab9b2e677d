import { jsString } from '../lib/snippet';
import type { App } from '../lib/types';
import { CodeBlock } from './Copy';

// The recommended install, docs/sdk.md ("Async snippet"): an inline stub
// `Fovea` that queues the calls made before the SDK arrives, then the SDK from
// this server with `async`, so it never blocks the page. Filled in with this
// server's origin and the app's ingest key; rendered as text.

/** The stub line of the snippet, exactly as docs/sdk.md has it (test/settings-install.test.ts compares them). */
export const FOVEA_STUB =
  '!function(w,f){w.Fovea||(f=w.Fovea={q:[]},"init addAction addError setUser setContext setConsent optOut startView flush startReplay stopReplay".split(" ").forEach(function(n){f[n]=function(){f.q.push([n,arguments])}}))}(window);';

/** An HTML attribute value, escaped. */
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function asyncSnippet(origin: string, key: string): string {
  const endpoint = origin.replace(/\/+$/, '');
  return [
    '<script>',
    `  ${FOVEA_STUB}`,
    '  Fovea.init({',
    `    endpoint: ${jsString(endpoint)},`,
    `    key: ${jsString(key)},`,
    '  });',
    '</script>',
    `<script src="${attr(`${endpoint}/sdk/fovea.min.js`)}" async crossorigin="anonymous"></script>`,
  ].join('\n');
}

/** The async snippet for `app`, with a Copy button (in a `.setup` column, before the other ways to install). */
export function AsyncSnippet(props: { app: App }) {
  return (
    <>
      <p class="muted" data-testid="async-snippet-note">
        <strong>Recommended:</strong> paste this into the <code>&lt;head&gt;</code> of every page. It loads the SDK without
        blocking the page, and calls made before the SDK has loaded (<code>Fovea.setUser</code>, <code>Fovea.addAction</code>…)
        are kept and replayed. The plain script tag and the npm package below work too.
      </p>
      <CodeBlock label="Async snippet (recommended)" code={asyncSnippet(window.location.origin, props.app.ingest_key)} />
    </>
  );
}
