/**
 * Signs that the browser is driven by a program, sent as
 * `context.automation` (the server drops or tags such sessions): `webdriver`
 * (navigator.webdriver, set by WebDriver, Puppeteer and Playwright),
 * `headless` (HeadlessChrome, PhantomJS or Electron in the user agent),
 * `screen` (a screen 0 pixels wide or high), `languages` (no preferred
 * language). Cheap reads only; undefined when there is none.
 */
export const automation = (): string[] | undefined => {
  const n = navigator;
  const f = [n.webdriver === true, /HeadlessChrome|PhantomJS|Electron/.test(n.userAgent), !screen.width || !screen.height, n.languages?.length === 0];
  const a = ['webdriver', 'headless', 'screen', 'languages'].filter((_, i) => f[i]);
  return a[0] ? a : undefined;
};
