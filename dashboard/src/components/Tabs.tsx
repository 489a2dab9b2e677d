import type { ComponentChildren } from 'preact';
import { tabIds, tabKeyTarget } from '../lib/tabs';

interface Props<K extends string> {
  /** Names the element ids; one strip of a name per page. */
  name: string;
  /** The strip's accessible name. */
  label: string;
  keys: readonly K[];
  selected: K;
  onSelect: (key: K) => void;
  children: (key: K) => ComponentChildren;
  title?: (key: K) => string;
  class?: string;
}

/**
 * A strip of tabs over one panel (TabPanel with the same name). Selection
 * follows focus: an arrow key focuses the next tab and selects it.
 */
export function Tabs<K extends string>(props: Props<K>) {
  const { keys, selected } = props;
  const ids = tabIds(props.name);
  const onKey = (e: KeyboardEvent, index: number) => {
    const next = tabKeyTarget(e.key, index, keys.length);
    if (next == null) return;
    e.preventDefault();
    const key = keys[next]!;
    document.getElementById(ids.tab(key))?.focus();
    if (key !== selected) props.onSelect(key);
  };
  return (
    <div class={props.class ? `segmented ${props.class}` : 'segmented'} role="tablist" aria-label={props.label}>
      {keys.map((k, i) => (
        <button
          key={k}
          id={ids.tab(k)}
          type="button"
          role="tab"
          aria-selected={k === selected}
          aria-controls={ids.panel}
          tabIndex={k === selected ? 0 : -1}
          class={k === selected ? 'active' : ''}
          title={props.title?.(k)}
          onClick={() => props.onSelect(k)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {props.children(k)}
        </button>
      ))}
    </div>
  );
}

/** The panel of the strip `name`, labelled by its selected tab. */
export function TabPanel(props: { name: string; selected: string; children: ComponentChildren }) {
  const ids = tabIds(props.name);
  return (
    <div role="tabpanel" id={ids.panel} aria-labelledby={ids.tab(props.selected)} class="tabpanel">
      {props.children}
    </div>
  );
}
