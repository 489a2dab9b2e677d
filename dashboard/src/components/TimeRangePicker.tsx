import { useState } from 'preact/hooks';
import { navigate, refresh } from '../lib/router';
import { PRESETS, rangeParams, withParams, type Preset, type TimeRange } from '../lib/url';
import { usePage } from '../lib/context';
import { usePopover } from '../lib/popover';

const LABEL: Record<Preset, string> = { '1h': '1h', '24h': '24h', '7d': '7d', '30d': '30d' };

function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

export function TimeRangePicker() {
  const { range, window, loc } = usePage();
  const custom = usePopover<HTMLButtonElement, HTMLFormElement>();
  const [from, setFrom] = useState(toLocalInput(window.from));
  const [to, setTo] = useState(toLocalInput(window.to));
  const go = (r: TimeRange) => navigate(loc.pathname + withParams(loc.search, rangeParams(r)));
  const apply = (e: Event) => {
    e.preventDefault();
    const f = new Date(from).getTime();
    const t = new Date(to).getTime();
    if (Number.isFinite(f) && Number.isFinite(t) && f < t) {
      custom.close();
      go({ kind: 'absolute', from: f, to: t });
    }
  };
  return (
    <div class="range-picker">
      <div class="segmented" role="group" aria-label="Time range">
        {(Object.keys(PRESETS) as Preset[]).map((p) => (
          <button
            key={p}
            type="button"
            class={range.kind === 'preset' && range.preset === p ? 'active' : ''}
            aria-pressed={range.kind === 'preset' && range.preset === p}
            onClick={() => go({ kind: 'preset', preset: p })}
          >
            {LABEL[p]}
          </button>
        ))}
        <button
          type="button"
          ref={custom.opener}
          class={range.kind === 'absolute' || custom.open ? 'active' : ''}
          aria-pressed={range.kind === 'absolute'}
          aria-expanded={custom.open}
          aria-controls={custom.open ? 'custom-range' : undefined}
          onClick={() => {
            setFrom(toLocalInput(window.from));
            setTo(toLocalInput(window.to));
            custom.toggle();
          }}
        >
          Custom
        </button>
      </div>
      <button type="button" class="btn icon-btn" title="Refresh" aria-label="Refresh" onClick={refresh}>
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
          <path d="M13.5 8a5.5 5.5 0 1 1-1.6-3.9M13.5 2.5v3h-3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      </button>
      {custom.open && (
        <form id="custom-range" class="custom-range popover" ref={custom.panel} onSubmit={apply} aria-label="Custom time range">
          <label>
            From
            <input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} required />
          </label>
          <label>
            To
            <input type="datetime-local" value={to} onInput={(e) => setTo(e.currentTarget.value)} required />
          </label>
          <div class="row-actions">
            <button type="button" class="btn" onClick={custom.close}>
              Cancel
            </button>
            <button type="submit" class="btn primary">
              Apply
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
