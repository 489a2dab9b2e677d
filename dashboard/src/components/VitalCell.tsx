import { formatMetric } from '../lib/format';
import { rate, RATING_LABEL, type Metric } from '../lib/thresholds';

/** A vital's value, coloured by its rating, with the rating as a tooltip. */
export function VitalValue(props: { metric: Metric; value: number | null | undefined; class?: string }) {
  const r = rate(props.metric, props.value);
  return (
    <span class={`vital ${r ?? 'none'} ${props.class ?? ''}`} title={r ? RATING_LABEL[r] : 'No data'} data-value={props.value ?? ''}>
      {formatMetric(props.metric, props.value)}
    </span>
  );
}
