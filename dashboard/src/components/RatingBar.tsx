import { formatPercent } from '../lib/format';
import { RATING_LABEL, type Rating } from '../lib/thresholds';

/** The good / needs-improvement / poor shares of views as one stacked bar. */
export function RatingBar(props: { good: number; ni: number; poor: number; compact?: boolean }) {
  const parts: [Rating, number][] = [
    ['good', props.good],
    ['ni', props.ni],
    ['poor', props.poor],
  ];
  const label = parts.map(([r, v]) => `${RATING_LABEL[r]} ${formatPercent(v)}`).join(', ');
  return (
    <div class={props.compact ? 'rating compact' : 'rating'}>
      <div class="rating-bar" role="img" aria-label={label} title={label}>
        {parts.map(([r, v]) =>
          v > 0 ? <span key={r} class={`seg ${r}`} style={{ flexGrow: v, flexBasis: 0 }} /> : null,
        )}
      </div>
      {!props.compact && (
        <div class="rating-legend">
          {parts.map(([r, v]) => (
            <span key={r} class={`legend ${r}`}>
              <i class={`dot ${r}`} />
              {formatPercent(v)}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
