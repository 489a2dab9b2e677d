import { usePage } from '../lib/context';
import { navigate } from '../lib/router';
import { withParams } from '../lib/url';

/**
 * A select whose choice lives in the URL as `?{param}=` (so a view stays a
 * shareable link). `toParam` turns a picked value into the URL's (null
 * leaves the parameter out: the default); `first` is an option before the
 * others, such as "All".
 */
export function ParamSelect<T extends string>(props: {
  label: string;
  param: string;
  value: string;
  options: readonly T[];
  labels: Readonly<Record<T, string>>;
  toParam: (picked: string) => string | null;
  first?: { value: string; label: string };
}) {
  const { loc } = usePage();
  return (
    <label class="inline">
      {props.label}
      <select value={props.value} onChange={(e) => navigate(loc.pathname + withParams(loc.search, { [props.param]: props.toParam(e.currentTarget.value) }))}>
        {props.first && <option value={props.first.value}>{props.first.label}</option>}
        {props.options.map((o) => (
          <option key={o} value={o}>
            {props.labels[o]}
          </option>
        ))}
      </select>
    </label>
  );
}
