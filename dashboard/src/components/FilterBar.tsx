import { useState } from 'preact/hooks';
import { navigate } from '../lib/router';
import { usePage } from '../lib/context';
import { usePopover } from '../lib/popover';
import { useApi } from '../lib/useApi';
import { FILTER_KEYS, FILTER_LABEL, apiQuery, withParams, type FilterKey } from '../lib/url';
import type { VitalsAnswer } from '../lib/types';
import { formatDateTime } from '../lib/format';

/** Dimensions the vitals endpoint can group by, so their values can be suggested. */
const SUGGESTABLE: Partial<Record<FilterKey, string>> = {
  page: 'page',
  browser: 'browser',
  device: 'device',
  country: 'country',
  release: 'release',
};

export function FilterBar() {
  const { filters, loc, range, window, app } = usePage();
  const form = usePopover<HTMLButtonElement, HTMLFormElement>();
  const adding = form.open;
  const [key, setKey] = useState<FilterKey>('page');
  const [value, setValue] = useState('');
  const by = SUGGESTABLE[key];
  const suggestions = useApi<VitalsAnswer>(
    adding && app && by ? `/apps/${encodeURIComponent(app.id)}/vitals?${apiQuery(window, {}, { metric: 'lcp', by })}` : null,
  );
  const set = (changes: Record<string, string | null>) => navigate(loc.pathname + withParams(loc.search, changes));
  const active = FILTER_KEYS.filter((k) => filters[k] != null);
  const submit = (e: Event) => {
    e.preventDefault();
    if (value.trim() === '') return;
    set({ [key]: value.trim() });
    form.close();
    setValue('');
  };
  return (
    <div class="filterbar">
      {range.kind === 'absolute' && (
        <span class="chip muted" title="Fixed time window">
          {formatDateTime(range.from)} → {formatDateTime(range.to)}
        </span>
      )}
      {active.map((k) => (
        <span key={k} class="chip" data-filter={k}>
          <span class="chip-key">{FILTER_LABEL[k]}</span>
          <span class="chip-value">{filters[k]}</span>
          <button type="button" class="chip-x" aria-label={`Remove filter ${FILTER_LABEL[k]}`} onClick={() => set({ [k]: null })}>
            ×
          </button>
        </span>
      ))}
      {!adding && (
        <button type="button" class="btn small ghost" ref={form.opener} onClick={form.show}>
          + Filter
        </button>
      )}
      {active.length > 1 && !adding && (
        <button type="button" class="btn small ghost" onClick={() => set(Object.fromEntries(FILTER_KEYS.map((k) => [k, null])))}>
          Clear all
        </button>
      )}
      {adding && (
        <form class="filter-form" ref={form.panel} onSubmit={submit} aria-label="Add a filter">
          <select aria-label="Filter by" value={key} onChange={(e) => setKey(e.currentTarget.value as FilterKey)}>
            {FILTER_KEYS.map((k) => (
              <option key={k} value={k}>
                {FILTER_LABEL[k]}
              </option>
            ))}
          </select>
          <input
            aria-label="Value"
            placeholder={key === 'page' ? '/checkout' : key === 'country' ? 'DE' : key === 'user' ? 'user id' : 'value'}
            list="filter-suggestions"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            data-autofocus
          />
          <datalist id="filter-suggestions">
            {(suggestions.data?.groups ?? []).map((g) =>
              g.key != null ? <option key={g.key} value={g.key} /> : null,
            )}
          </datalist>
          <button type="submit" class="btn small primary">
            Apply
          </button>
          <button type="button" class="btn small" onClick={form.close}>
            Cancel
          </button>
        </form>
      )}
    </div>
  );
}
