import { hex } from './hex.js';

/**
 * A random (v4) UUID: `crypto.randomUUID` where the browser has it (secure
 * contexts only), else built from random bytes.
 */
export const uuid = (): string => {
  try {
    return crypto.randomUUID();
  } catch {
    const h = hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
};
