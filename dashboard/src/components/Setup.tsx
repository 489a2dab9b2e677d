import type { App } from '../lib/types';
import { npmSnippet, scriptSnippet } from '../lib/snippet';
import { CodeBlock, CopyButton } from './Copy';

/** How to send data to an app: the ingest key and the snippets, for empty states and settings. */
export function Setup(props: { app: App }) {
  const endpoint = window.location.origin;
  return (
    <div class="setup">
      <ol class="steps">
        <li>
          <strong>Host the SDK.</strong> Serve <code>fovea.min.js</code> from your own site or CDN (it is built from
          Fovea's <code>sdk/</code>; see docs/sdk.md), or install it from npm.
        </li>
        <li>
          <strong>Allow your site's origin</strong> in the app's settings, so browsers may send to this Fovea.
        </li>
        <li>
          <strong>Paste the snippet</strong> into every page, before your own scripts:
        </li>
      </ol>
      <div class="key-line">
        <span class="muted">Ingest key</span>
        <code class="ingest-key" data-testid="ingest-key">
          {props.app.ingest_key}
        </code>
        <CopyButton text={props.app.ingest_key} />
      </div>
      <CodeBlock label="Script tag" code={scriptSnippet(endpoint, props.app.ingest_key)} />
      <CodeBlock label="npm" code={npmSnippet(endpoint, props.app.ingest_key)} />
    </div>
  );
}
