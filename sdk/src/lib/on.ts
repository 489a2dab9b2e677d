import { safe } from './safe.js';

/** addEventListener with a guarded, passive, capturing listener. */
export const on = (
  target: EventTarget,
  type: string,
  fn: (e: any) => void,
): void => target.addEventListener(type, safe(fn), { capture: true, passive: true });
