import { useState } from 'preact/hooks';
import { navigate } from '../lib/router';
import { usePage } from '../lib/context';
import { usePopover } from '../lib/popover';
import { useApi } from '../lib/useApi';
import {
  FILTER_KEYS,
  FILTER_LABEL,
  MAX_ATTR_FILTERS,
  apiQuery,
  attrKeyProblem,
  attrParam,
  attrValueProblem,
  clearFilters,
  filterCount,
  withParams,
  type AttrFilter,
  type FilterKey,
} from '../lib/url';
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

/** What the form filters on: a built-in dimension, or a custom attribute (`attr`: the user types its key). */
type Choice = FilterKey | 'attr';

const ERROR_ID = 'filter-form-error';

export function FilterBar() {
  const { filters, loc, range, window, app } = usePage();
  const form = usePopover<HTMLButtonElement, HTMLFormElement>();
  const adding = form.open;
  const [key, setKey] = useState<Choice>('page');
  const [attrKey, setAttrKey] = useState('');
  const [value, setValue] = useState('');
  // set when Apply found a problem; typing a bad key shows its problem at once
  const [tried, setTried] = useState(false);
  const by = key === 'attr' ? undefined : SUGGESTABLE[key];
  const suggestions = useApi<VitalsAnswer>(
    adding && app && by ? `/apps/${encodeURIComponent(app.id)}/vitals?${apiQuery(window, {}, { metric: 'lcp', by })}` : null,
  );
  const set = (changes: Record<string, string | null>) => navigate(loc.pathname + withParams(loc.search, changes));
  const active = FILTER_KEYS.filter((k) => filters[k] != null);
  const attrs = filters.attrs ?? [];
  const problem = key === 'attr' ? attrProblem(attrKey.trim(), value.trim(), attrs) : null;
  const keyBad = key === 'attr' && attrKeyProblem(attrKey.trim()) != null && (tried || attrKey.trim() !== '');
  const shownProblem = problem != null && (tried || keyBad) ? problem : null;
  const close = () => {
    form.close();
    setValue('');
    setAttrKey('');
    setTried(false);
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (key === 'attr') {
      if (problem != null) {
        setTried(true);
        return;
      }
      set({ [attrParam(attrKey.trim())]: value.trim() });
    } else {
      if (value.trim() === '') return;
      set({ [key]: value.trim() });
    }
    close();
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
      {attrs.map((a) => (
        <AttrChip key={a.key} a={a} onRemove={() => set({ [attrParam(a.key)]: null })} />
      ))}
      {!adding && (
        <button type="button" class="btn small ghost" ref={form.opener} onClick={form.show}>
          + Filter
        </button>
      )}
      {filterCount(filters) > 1 && !adding && (
        <button type="button" class="btn small ghost" onClick={() => set(clearFilters(loc.search))}>
          Clear all
        </button>
      )}
      {adding && (
        <form class="filter-form" ref={form.panel} onSubmit={submit} aria-label="Add a filter" noValidate>
          <select
            aria-label="Filter by"
            value={key}
            onChange={(e) => {
              setKey(e.currentTarget.value as Choice);
              setTried(false);
            }}
          >
            {FILTER_KEYS.map((k) => (
              <option key={k} value={k}>
                {FILTER_LABEL[k]}
              </option>
            ))}
            <option value="attr">Attribute</option>
          </select>
          {key === 'attr' && (
            <input
              aria-label="Attribute key"
              placeholder="key, e.g. plan"
              value={attrKey}
              spellcheck={false}
              autoComplete="off"
              aria-invalid={keyBad || undefined}
              aria-describedby={shownProblem != null ? ERROR_ID : undefined}
              onInput={(e) => setAttrKey(e.currentTarget.value)}
              data-autofocus
              data-testid="filter-attr-key"
            />
          )}
          <input
            aria-label={key === 'attr' ? 'Attribute value' : 'Value'}
            placeholder={key === 'page' ? '/checkout' : key === 'country' ? 'DE' : key === 'user' ? 'user id' : key === 'attr' ? 'value, e.g. pro' : 'value'}
            list={by ? 'filter-suggestions' : undefined}
            value={value}
            aria-invalid={(tried && key === 'attr' && attrValueProblem(value.trim()) != null) || undefined}
            aria-describedby={shownProblem != null ? ERROR_ID : undefined}
            onInput={(e) => setValue(e.currentTarget.value)}
            data-autofocus={key !== 'attr' || undefined}
            data-testid="filter-value"
          />
          {by && (
            <datalist id="filter-suggestions">
              {(suggestions.data?.groups ?? []).map((g) => (g.key != null ? <option key={g.key} value={g.key} /> : null))}
            </datalist>
          )}
          <button type="submit" class="btn small primary">
            Apply
          </button>
          <button type="button" class="btn small" onClick={close}>
            Cancel
          </button>
          {shownProblem != null && (
            <span class="form-error filter-error" id={ERROR_ID} role="alert" data-testid="filter-error">
              {shownProblem}
            </span>
          )}
        </form>
      )}
    </div>
  );
}

/** The problem with adding the attribute filter `key` = `value` next to `attrs`, or null. */
function attrProblem(key: string, value: string, attrs: readonly AttrFilter[]): string | null {
  const k = attrKeyProblem(key);
  if (k != null) return k;
  const v = attrValueProblem(value);
  if (v != null) return v;
  if (attrs.length >= MAX_ATTR_FILTERS && !attrs.some((a) => a.key === key)) {
    return `At most ${MAX_ATTR_FILTERS} attribute filters: remove one first.`;
  }
  return null;
}

/** An attribute filter as a chip, `plan = pro`; key and value are the user's: text only. */
function AttrChip(props: { a: AttrFilter; onRemove: () => void }) {
  const { a } = props;
  return (
    <span class="chip" data-filter={attrParam(a.key)} data-testid="attr-chip">
      <span class="chip-key">
        <span class="visually-hidden">Attribute </span>
        <span class="chip-attr">{a.key}</span> =
      </span>
      <span class="chip-value">{a.value}</span>
      <button type="button" class="chip-x" aria-label={`Remove filter ${a.key} = ${a.value}`} onClick={props.onRemove}>
        ×
      </button>
    </span>
  );
}
