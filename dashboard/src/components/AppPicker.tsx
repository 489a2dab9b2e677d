import type { App } from '../lib/types';
import { toggleApp } from '../lib/users';

/** Which apps a member or viewer may see: a checkbox per app, in a fieldset named by its legend. */
export function AppPicker(props: { apps: readonly App[]; value: readonly string[]; onChange: (ids: string[]) => void; legend: string; 'data-testid'?: string }) {
  const { apps, value } = props;
  return (
    <fieldset class="app-picker" data-testid={props['data-testid']}>
      <legend>{props.legend}</legend>
      {apps.length === 0 && <span class="muted small">No apps yet.</span>}
      {apps.map((a) => (
        <label key={a.id}>
          <input
            type="checkbox"
            name="apps"
            value={a.id}
            checked={value.includes(a.id)}
            onChange={(e) => props.onChange(toggleApp(value, a.id, e.currentTarget.checked, apps))}
          />
          <span>{a.name}</span>
          {a.name !== a.id && <code class="muted">{a.id}</code>}
        </label>
      ))}
    </fieldset>
  );
}
