import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * Open/closed state for a popover or an inline form: opening moves focus
 * into `panel` (its `[data-autofocus]` element, else its first field),
 * Escape closes it while focus is in it or on its opener, and closing
 * returns focus to `opener` (rendered again by then, when the opener hides
 * while it is open).
 */
export function usePopover<O extends HTMLElement = HTMLButtonElement, P extends HTMLElement = HTMLElement>() {
  const [open, setOpen] = useState(false);
  const opener = useRef<O>(null);
  const panel = useRef<P>(null);
  const refocus = useRef(false);
  const close = () => {
    refocus.current = true;
    setOpen(false);
  };
  // A layout effect: focus moves in the same frame the panel appears or
  // goes, never after a paint in which it sat on <body>.
  useLayoutEffect(() => {
    if (!open) {
      if (refocus.current) opener.current?.focus();
      refocus.current = false;
      return;
    }
    const p = panel.current;
    (p?.querySelector<HTMLElement>('[data-autofocus]') ?? p?.querySelector<HTMLElement>('input, select, textarea, button'))?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      // only the popover the user is in, when two are open
      const at = document.activeElement;
      if (at != null && at !== document.body && !p?.contains(at) && !opener.current?.contains(at)) return;
      e.preventDefault();
      close();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open]);
  return { open, show: () => setOpen(true), close, toggle: () => (open ? close() : setOpen(true)), opener, panel };
}
