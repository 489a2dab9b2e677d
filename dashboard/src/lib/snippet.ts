// The copy-paste setup for an app, matching docs/sdk.md.

/** A JS string literal that is also safe inside an HTML `<script>` block. */
export function jsString(s: string): string {
  return JSON.stringify(s).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export function scriptSnippet(endpoint: string, key: string): string {
  return [
    '<script src="https://YOUR-CDN/fovea.min.js"></script>',
    '<script>',
    `  Fovea.init({ endpoint: ${jsString(endpoint)}, key: ${jsString(key)} });`,
    '</script>',
  ].join('\n');
}

export const NPM_PACKAGE = '@fovea/browser';

export function npmSnippet(endpoint: string, key: string): string {
  return [
    `// npm install ${NPM_PACKAGE}`,
    `import { init } from '${NPM_PACKAGE}';`,
    '',
    `init({ endpoint: ${jsString(endpoint)}, key: ${jsString(key)} });`,
  ].join('\n');
}
