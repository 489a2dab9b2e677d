// Keyboard use of a tab strip (WAI-ARIA tabs pattern): the arrows move along
// the strip and wrap, Home and End jump to its ends. Only the selected tab is
// in the tab order (roving tabindex), so Tab leaves the strip in one press.

/** The tab a key moves to from tab `index` of `count`; null when the key is not one of the strip's. */
export function tabKeyTarget(key: string, index: number, count: number): number | null {
  if (count <= 0) return null;
  switch (key) {
    case 'ArrowRight':
      return (index + 1) % count;
    case 'ArrowLeft':
      return (index - 1 + count) % count;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** The element ids that tie a strip's tabs to its panel (aria-controls, aria-labelledby). */
export function tabIds(name: string): { tab: (key: string) => string; panel: string } {
  return { tab: (key) => `${name}-tab-${key}`, panel: `${name}-panel` };
}
