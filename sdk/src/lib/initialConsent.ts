import type { Consent, Options } from '../types.js';

/**
 * Consent when `init` runs: `consent`, unless the browser sends Global
 * Privacy Control and `respectGlobalPrivacyControl` is set: then denied.
 * GPC is the user's standing opt-out; a later `setConsent('granted')` is
 * their explicit choice for this site, and wins.
 */
export const initialConsent = (o: Options): Consent =>
  o.respectGlobalPrivacyControl && (navigator as Navigator & { globalPrivacyControl?: boolean }).globalPrivacyControl
    ? 'denied'
    : o.consent == 'pending'
      ? 'pending'
      : 'granted';
