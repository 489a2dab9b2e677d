import { hex } from './hex.js';

/**
 * A random (v4) UUID: `crypto.randomUUID` where the browser has it (secure
 * contexts only), else built from random bytes.
 */
export const uuid = (): string => {
  try {
    return crypto.randomUUID();
  } catch {
    // 8-4-4-4-12 hex digits, version 4, variant 10
    return hex(16).replace(/(.{8})(.{4}).(.{3}).(.{3})/, '$1-$2-4$3-a$4-');
  }
};
