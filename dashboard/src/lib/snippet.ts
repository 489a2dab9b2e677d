// The copy-paste setup for an app, matching docs/sdk.md ("Install").

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

export function scriptUrl(version: string = SDK_VERSION): string {
  return `https://unpkg.com/${NPM_PACKAGE}@${version}/dist/fovea.min.js`;
}

export function scriptSnippet(endpoint: string, key: string, version: string = SDK_VERSION): string {
  return [
    `<script src="${scriptUrl(version)}" crossorigin="anonymous"></script>`,
    '<script>',
    '  Fovea.init({',
    `    endpoint: ${jsString(endpoint)},`,
    `    key: ${jsString(key)},`,
    '  });',
    '</script>',
  ].join('\n');
}

export function npmSnippet(endpoint: string, key: string): string {
  return [
    `// npm install ${NPM_PACKAGE}`,
    `import { init } from '${NPM_PACKAGE}';`,
    '',
    `init({ endpoint: ${jsString(endpoint)}, key: ${jsString(key)} });`,
  ].join('\n');
}
