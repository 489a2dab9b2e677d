import type { record } from '@rrweb/record';

/**
 * Masking, done by rrweb in the browser while it serialises: what is masked
 * never leaves the page. The rules:
 *
 * - every form value (input of any type, hidden included; textarea; select)
 *   is masked, at both levels, unless inside `data-fovea-privacy="unmask"`;
 * - password fields and fields with `autocomplete` `cc-*` or `one-time-code`
 *   are masked whatever surrounds them;
 * - text inside `contenteditable` is a typed value too: masked unless an
 *   `unmask` is on or inside the editable element;
 * - text: shown at `mask-inputs`, masked at `mask-all`; the nearest
 *   `data-fovea-privacy` (`mask` / `unmask`) at or above the text decides;
 * - `data-fovea-privacy="block"` (and, at `mask-all`, images, SVG, video,
 *   canvas) is recorded as an empty box of the same size.
 *
 * rrweb calls maskTextFn only for text its maskTextSelector matched (itself or
 * an ancestor), and maskInputFn for every value that maskInputOptions names;
 * both functions then apply the rules above, since "nearest attribute wins"
 * is not a CSS selector.
 */
export type Level = 'mask-inputs' | 'mask-all';
type RecordOptions = NonNullable<Parameters<typeof record>[0]>;

const A = 'data-fovea-privacy';
const EDITABLE = '[contenteditable]:not([contenteditable=false])';

/** `*` for every non-blank character, as rrweb's default (the layout stays). */
export const mask = (s: string): string => s.replace(/\S/g, '*');

/** A field whose value is a secret at every level. */
export const secret = (el: Element): boolean =>
  (el as HTMLInputElement).type == 'password' || /(^|\s)(cc-|one-time-code)/i.test(el.getAttribute('autocomplete') || '');

/** Whether an `unmask` is the nearest privacy attribute of `el`, and not outside an editable element around it. */
const unmasked = (el: Element): boolean => {
  const p = el.closest(`[${A}]`);
  const e = el.closest(EDITABLE);
  return p?.getAttribute(A) == 'unmask' && (!e || e.contains(p));
};

/** rrweb's maskInputFn: every value masked, except inside `unmask` (never a secret one). */
export const maskInput = (text: string, el: HTMLElement): string => (!secret(el) && unmasked(el) ? text : mask(text));

/** rrweb's maskTextFn for level `all` (mask-all) or not (mask-inputs). */
export const maskText =
  (all: boolean) =>
  (text: string, el: HTMLElement | null): string => {
    if (el && unmasked(el)) return text;
    return all || el?.closest(`[${A}=mask],${EDITABLE}`) ? mask(text) : text;
  };

/** The rrweb options of a privacy level. */
export const privacy = (level: Level | undefined): RecordOptions => {
  const all = level == 'mask-all';
  return {
    // Keyed by tag name, so every input type is masked (maskAllInputs lists
    // types and leaves out hidden, checkbox values, unknown ones); `input` is
    // read by rrweb (maskInputValue) but missing from its type.
    maskInputOptions: { input: true, textarea: true, select: true, password: true } as RecordOptions['maskInputOptions'],
    maskInputFn: maskInput,
    maskTextSelector: all ? '*' : `[${A}],${EDITABLE}`,
    maskTextFn: maskText(all),
    blockSelector: `[${A}=block]${all ? ',img,picture,svg,video,canvas,object,embed' : ''}`,
  };
};
