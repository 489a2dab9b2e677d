const INTERACTIVE =
  '[data-fovea-action],button,a,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[onclick]';

/**
 * The element a click is "about" (the nearest interactive ancestor, else the
 * clicked element) and its action name: `data-fovea-action`, else
 * `aria-label`, else visible text (whitespace collapsed, at most 100
 * characters), else `title`, else the tag name. Form fields never give text:
 * their value (or a textarea's content) is what users type.
 */
export const actionTarget = (el: Element): [Element, string] => {
  const t = el.closest(INTERACTIVE) || el;
  const field = /^(input|select|textarea)$/.test(t.localName);
  const name =
    t.getAttribute('data-fovea-action') ||
    t.getAttribute('aria-label') ||
    (!field && ((t as HTMLElement).innerText ?? t.textContent)) ||
    t.getAttribute('title') ||
    '';
  return [t, name.replace(/\s+/g, ' ').trim().slice(0, 100) || t.localName];
};
