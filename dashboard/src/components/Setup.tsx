import type { App } from '../lib/types';
import { cdnScriptUrl, npmSnippet, scriptSnippet } from '../lib/snippet';
import { CodeBlock, CopyButton } from './Copy';

/** How to send data to an app: the ingest key and the snippets, for empty states and settings. */
export function Setup(props: { app: App }) {
  const endpoint = window.location.origin;
  return (
    <div class="setup">
      <ol class="steps">
        <li>
          <strong>Allow your site's origin</strong> in this app's settings, so browsers on it may send to this Fovea.
        </li>
        <li>
          <strong>Paste the snippet</strong> into the <code>&lt;head&gt;</code> of every page, before other scripts, or
          install the npm package. This server hosts the SDK; you may instead load it from your own site or from{' '}
          <code>{cdnScriptUrl()}</code>. Under a strict Content Security Policy, put the <code>Fovea.init</code> call in a
          script file of your own.
        </li>
        <li>
          <strong>Open your site.</strong> Views, vitals and errors show up here within seconds. See docs/sdk.md for the
          options (<code>env</code>, <code>release</code>, sampling, privacy).
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
