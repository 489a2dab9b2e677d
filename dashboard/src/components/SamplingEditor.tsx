import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { NumHeaders } from './NumHeaders';
import { Async } from './States';
import { api, ApiError } from '../lib/api';
import { usePage } from '../lib/context';
import { formatBytes, formatCount } from '../lib/format';
import {
  BOTS_LABEL,
  bodyOf,
  changeText,
  DEVICES,
  draftOf,
  MATCH_LABEL,
  MAX_RULES,
  matchOf,
  matchText,
  moveRule,
  newRule,
  shadowNote,
  type MatchKey,
  type RuleDraft,
  type SamplingDraft,
} from '../lib/sampling';
import type { App, BotsPolicy, CostFigures, Sampling, WhatIf } from '../lib/types';
import { useApi } from '../lib/useApi';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The estimate of one body (`key`: its JSON); `answer` null when the server could not give one. */
interface Estimate {
  key: string;
  answer: WhatIf | null;
  error: string | null;
}

type Message = { ok: boolean; text: string } | null;

/**
 * Settings → Sampling: the app's ordered sampling rules, the default that
 * closes them, what is never collected and what happens to bots, saved
 * together with `PUT /apps/{app}/sampling`. Saving shows first what the new
 * rules would cost per day (`POST /apps/{app}/usage/what-if`); a second press
 * saves. A viewer reads the rules. Mounted per app (keyed by its id).
 */
export function SamplingEditor(props: { app: App; canWrite: boolean }) {
  const { app, canWrite } = props;
  const { reloadApps } = usePage();
  const base = `/apps/${encodeURIComponent(app.id)}`;
  const q = useApi<Sampling>(`${base}/sampling`);
  const [saved, setSaved] = useState<Sampling | null>(null);
  const [draft, setDraft] = useState<SamplingDraft | null>(null);
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [busy, setBusy] = useState<'estimate' | 'save' | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const section = useRef<HTMLElement>(null);

  const show = (s: Sampling) => {
    setSaved(s);
    setDraft(draftOf(s));
  };
  useEffect(() => {
    if (q.data) show(q.data);
  }, [q.data]);
  // the default's session rate is the app's sample rate: saved in the App form above, it is read again
  useEffect(() => {
    if (q.data && q.data.default.session_rate !== app.sample_rate) q.reload();
  }, [app.sample_rate]);
  // reached from the usage page (settings#sampling): bring the section into view once it has loaded
  const loaded = draft != null;
  useEffect(() => {
    if (loaded && window.location.hash === '#sampling') section.current?.scrollIntoView?.({ block: 'start' });
  }, [loaded]);

  const edit = (change: (d: SamplingDraft) => SamplingDraft) => {
    setDraft((d) => (d == null ? d : change(d)));
    setMessage(null);
  };

  const built = draft == null ? null : bodyOf(draft);
  const key = built == null ? '' : JSON.stringify(built.body);
  const savedKey = saved == null ? '' : JSON.stringify(bodyOf(draftOf(saved)).body);
  const problems = built?.problems ?? [];
  const invalid = new Set(problems.map((p) => p.path));
  const shown = estimate != null && estimate.key === key ? estimate : null;

  const runEstimate = async (): Promise<void> => {
    if (built == null || problems.length > 0) return;
    setBusy('estimate');
    setMessage(null);
    try {
      const answer = await api<WhatIf>(`${base}/usage/what-if`, { method: 'POST', body: built.body });
      setEstimate({ key, answer, error: null });
      setMessage({
        ok: true,
        text: key === savedKey ? 'Estimated: these are the saved rules.' : 'Estimated: press “Confirm and save” to apply the new rules, or change them and estimate again.',
      });
    } catch (err) {
      // a body the server refuses cannot be saved either: its message names the field
      if (err instanceof ApiError && err.status === 400) setMessage({ ok: false, text: err.message });
      else setEstimate({ key, answer: null, error: errorText(err) });
    } finally {
      setBusy(null);
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    if (built == null || problems.length > 0 || busy != null) return;
    if (key === savedKey) {
      setMessage({ ok: true, text: 'Nothing to save.' });
      return;
    }
    if (shown == null) {
      await runEstimate();
      return;
    }
    setBusy('save');
    setMessage(null);
    try {
      const answer = await api<Sampling | undefined>(`${base}/sampling`, { method: 'PUT', body: built.body });
      show(answer != null && Array.isArray(answer.rules) ? answer : built.body);
      setEstimate(null);
      // the default's session rate is the app's sample rate
      reloadApps();
      setMessage({ ok: true, text: 'Saved: pages pick the new rules up on their next load.' });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="panel settings-section sampling" id="sampling" ref={section} aria-labelledby="sampling-title" data-testid="sampling">
      <h2 id="sampling-title">Sampling</h2>
      <p class="muted">
        Which sessions are kept, and which of them are replayed. The rules are tried in order and the first whose every given
        field matches the session's first view decides; the default decides for the sessions no rule matches. Rates are
        percentages. Pages apply changed rules from their next load.
      </p>
      <Async q={{ ...q, data: draft ?? undefined }} what="the sampling rules" rows={3}>
        {(d) => (
          <form class="form" onSubmit={save} data-testid="sampling-form" noValidate>
            <Rules draft={d} edit={edit} readOnly={!canWrite} invalid={invalid} />
            <Defaults draft={d} edit={edit} readOnly={!canWrite} invalid={invalid} />
            <Exclusions draft={d} edit={edit} readOnly={!canWrite} />
            <Bots draft={d} edit={edit} readOnly={!canWrite} />
            {problems.length > 0 && (
              <ul class="form-error problems" data-testid="sampling-problems">
                {problems.map((p) => (
                  <li key={p.path}>{p.message}</li>
                ))}
              </ul>
            )}
            {built != null && shadowNote(built.body) != null && (
              <div class="notice hint" data-testid="sampling-shadow">
                {shadowNote(built.body)}
              </div>
            )}
            {canWrite && shown != null && <WhatIfView estimate={shown} />}
            {message && (
              <div class={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="sampling-message">
                {message.text}
              </div>
            )}
            {canWrite && (
              <div class="row-actions">
                <button type="button" class="btn" disabled={busy != null || problems.length > 0} onClick={() => void runEstimate()} data-testid="sampling-estimate">
                  {busy === 'estimate' ? 'Estimating…' : 'Estimate cost'}
                </button>
                <button type="submit" class="btn primary" disabled={busy != null || problems.length > 0} data-testid="sampling-save">
                  {busy === 'save' ? 'Saving…' : shown == null || key === savedKey ? 'Save sampling' : 'Confirm and save'}
                </button>
              </div>
            )}
          </form>
        )}
      </Async>
    </section>
  );
}

interface PartProps {
  draft: SamplingDraft;
  edit: (change: (d: SamplingDraft) => SamplingDraft) => void;
  readOnly: boolean;
}

/** Where focus goes after a rule moved or left: `which` control of rule `id`. */
type FocusTarget = { id: number; which: 'up' | 'down' | 'remove' } | 'add' | null;

const controlId = (id: number, which: string) => `sampling-rule-${id}-${which}`;

function Rules(props: PartProps & { invalid: Set<string> }) {
  const { draft, edit, readOnly, invalid } = props;
  const rules = draft.rules;
  const focus = useRef<FocusTarget>(null);
  // after a move, the moved rule's control keeps the focus (or its other arrow, at an end of the list)
  useEffect(() => {
    const f = focus.current;
    focus.current = null;
    if (f == null) return;
    if (f === 'add') return document.getElementById('sampling-add')?.focus();
    const el = document.getElementById(controlId(f.id, f.which)) as HTMLButtonElement | null;
    const other = f.which === 'up' ? 'down' : f.which === 'down' ? 'up' : 'remove';
    if (el != null && !el.disabled) el.focus();
    else document.getElementById(controlId(f.id, other))?.focus();
  });

  const setRules = (next: RuleDraft[]) => edit((d) => ({ ...d, rules: next }));
  const setRule = (i: number, change: Partial<RuleDraft>) => setRules(rules.map((r, j) => (j === i ? { ...r, ...change } : r)));
  const setMatch = (i: number, k: MatchKey, v: string) => setRules(rules.map((r, j) => (j === i ? { ...r, match: { ...r.match, [k]: v } } : r)));
  const move = (i: number, delta: number, which: 'up' | 'down') => {
    focus.current = { id: rules[i]!.id, which };
    setRules(moveRule(rules, i, delta));
  };
  const remove = (i: number) => {
    const next = rules[i + 1] ?? rules[i - 1];
    focus.current = next != null ? { id: next.id, which: 'remove' } : 'add';
    setRules(rules.filter((_, j) => j !== i));
  };
  const add = () => setRules([...rules, newRule()]);

  return (
    <div class="sampling-rules">
      <h3>Rules</h3>
      {rules.length === 0 && <p class="muted" data-testid="sampling-no-rules">No rules: the default decides for every session.</p>}
      <ol class="rule-list">
        {rules.map((r, i) => {
          const at = `rules[${i}]`;
          const text = (k: MatchKey, hint: string, short = false) => (
            <label>
              {MATCH_LABEL[k]}
              <input
                name={`${at}.match.${k}`}
                value={r.match[k]}
                placeholder={hint}
                readOnly={readOnly}
                autoComplete="off"
                spellcheck={false}
                aria-invalid={invalid.has(`${at}.match.${k}`) || undefined}
                maxLength={short ? 2 : 200}
                class={short ? 'short' : undefined}
                onInput={(e) => setMatch(i, k, e.currentTarget.value)}
              />
            </label>
          );
          return (
            <li key={r.id} class="rule" data-testid="sampling-rule">
              <fieldset>
                <legend>
                  Rule {i + 1}: <span class="rule-match">{matchText(matchOf(r))}</span>
                </legend>
                <div class="rule-fields">
                  {text('route', '/checkout*')}
                  {text('env', 'any')}
                  {text('release', 'any')}
                  <label>
                    Device
                    <select
                      name={`${at}.match.device`}
                      value={r.match.device}
                      disabled={readOnly}
                      aria-invalid={invalid.has(`${at}.match.device`) || undefined}
                      onChange={(e) => setMatch(i, 'device', e.currentTarget.value)}
                    >
                      <option value="">any</option>
                      {DEVICES.map((dv) => (
                        <option key={dv} value={dv}>
                          {dv}
                        </option>
                      ))}
                      {r.match.device !== '' && !(DEVICES as readonly string[]).includes(r.match.device) && <option value={r.match.device}>{r.match.device}</option>}
                    </select>
                  </label>
                  {text('country', 'any', true)}
                </div>
                <div class="rule-fields">
                  <RateInput
                    name={`${at}.session_rate`}
                    value={r.session_rate}
                    readOnly={readOnly}
                    invalid={invalid}
                    onValue={(v) => setRule(i, { session_rate: v })}
                  >
                    Sessions kept (%)
                  </RateInput>
                  <RateInput name={`${at}.replay_rate`} value={r.replay_rate} readOnly={readOnly} invalid={invalid} onValue={(v) => setRule(i, { replay_rate: v })}>
                    Replayed (%) <span class="muted">(empty: the default's)</span>
                  </RateInput>
                  <label class="toggle rule-keep">
                    <input type="checkbox" name={`${at}.keep`} checked={r.keep} disabled={readOnly} onChange={(e) => setRule(i, { keep: e.currentTarget.checked })} />
                    Key page: a session that views it is kept from then on
                  </label>
                </div>
                {!readOnly && (
                  <div class="rule-actions">
                    <button type="button" class="btn small" id={controlId(r.id, 'up')} disabled={i === 0} aria-label={`Move rule ${i + 1} up`} onClick={() => move(i, -1, 'up')}>
                      ↑ Up
                    </button>
                    <button
                      type="button"
                      class="btn small"
                      id={controlId(r.id, 'down')}
                      disabled={i === rules.length - 1}
                      aria-label={`Move rule ${i + 1} down`}
                      onClick={() => move(i, 1, 'down')}
                    >
                      ↓ Down
                    </button>
                    <button type="button" class="btn small danger" id={controlId(r.id, 'remove')} aria-label={`Remove rule ${i + 1}`} onClick={() => remove(i)}>
                      Remove
                    </button>
                  </div>
                )}
              </fieldset>
            </li>
          );
        })}
      </ol>
      {!readOnly && (
        <div>
          <button type="button" class="btn small" id="sampling-add" disabled={rules.length >= MAX_RULES} onClick={add} data-testid="sampling-add">
            + Add rule
          </button>
          {rules.length >= MAX_RULES && <span class="muted small"> At most {MAX_RULES} rules.</span>}
        </div>
      )}
    </div>
  );
}

/** A percentage (0–100) input in its label; `invalid` holds the names of the fields that have a problem. */
function RateInput(props: {
  name: string;
  value: string;
  readOnly: boolean;
  invalid: Set<string>;
  onValue: (v: string) => void;
  children: ComponentChildren;
}) {
  const { name, value, readOnly, invalid, onValue, children } = props;
  return (
    <label>
      {children}
      <input
        name={name}
        type="number"
        min={0}
        max={100}
        step="any"
        value={value}
        readOnly={readOnly}
        aria-invalid={invalid.has(name) || undefined}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}

function Defaults(props: PartProps & { invalid: Set<string> }) {
  const { draft, edit, readOnly, invalid } = props;
  return (
    <fieldset class="sampling-group">
      <legend>Default: every session no rule matches</legend>
      <div class="form-row">
        <RateInput
          name="default.session_rate"
          value={draft.default_session_rate}
          readOnly={readOnly}
          invalid={invalid}
          onValue={(v) => edit((d) => ({ ...d, default_session_rate: v }))}
        >
          Sessions kept (%) <span class="muted">(the app's sample rate)</span>
        </RateInput>
        <RateInput
          name="default.replay_rate"
          value={draft.default_replay_rate}
          readOnly={readOnly}
          invalid={invalid}
          onValue={(v) => edit((d) => ({ ...d, default_replay_rate: v }))}
        >
          Replayed (%)
        </RateInput>
      </div>
    </fieldset>
  );
}

function Exclusions(props: PartProps) {
  const { draft, edit, readOnly } = props;
  const area = (field: 'envs' | 'routes' | 'ip_ranges', label: string, hint: string) => (
    <label>
      {label} <span class="muted">({hint})</span>
      <textarea
        name={`exclude.${field}`}
        rows={3}
        spellcheck={false}
        autoComplete="off"
        value={draft[field]}
        readOnly={readOnly}
        onInput={(e) => {
          const v = e.currentTarget.value;
          edit((d) => ({ ...d, [field]: v }));
        }}
      />
    </label>
  );
  return (
    <fieldset class="sampling-group">
      <legend>Never collected</legend>
      <div class="form-row three">
        {area('envs', 'Environments', 'comma or line separated, e.g. staging')}
        {area('routes', 'Routes', 'globs, e.g. /health*')}
        {area('ip_ranges', 'IP ranges', 'CIDR, e.g. 10.0.0.0/8; checked by the server')}
      </div>
    </fieldset>
  );
}

function Bots(props: PartProps) {
  const { draft, edit, readOnly } = props;
  return (
    <fieldset class="sampling-group">
      <legend>Bots: sessions showing automation signals (webdriver, headless browsers)</legend>
      <div class="radio-row">
        {(['drop', 'tag'] as BotsPolicy[]).map((b) => (
          <label key={b} class="toggle">
            <input type="radio" name="bots" value={b} checked={draft.bots === b} disabled={readOnly} onChange={() => edit((d) => ({ ...d, bots: b }))} />
            {BOTS_LABEL[b]}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

const ROWS: { key: keyof CostFigures; label: string; format: (n: number) => string }[] = [
  { key: 'sessions', label: 'Sessions', format: formatCount },
  { key: 'events', label: 'Events', format: formatCount },
  { key: 'bytes', label: 'Bytes stored', format: formatBytes },
];

const WHAT_IF_COLUMNS = ['Current', 'Proposed', 'Change'] as const;

/** Current vs proposed, per day. */
function WhatIfView(props: { estimate: Estimate }) {
  const { answer, error } = props.estimate;
  if (answer == null) {
    return (
      <div class="notice hint" data-testid="what-if">
        No estimate: {error} Press “Confirm and save” to save without one.
      </div>
    );
  }
  return (
    <div class="what-if" data-testid="what-if">
      <div class="table-wrap">
        <table class="table">
          <caption>
            Current vs proposed per day{' '}
            <span class="muted">
              (averaged over the last {formatCount(answer.days)} {answer.days === 1 ? 'day' : 'days'} of stored sessions)
            </span>
          </caption>
          <thead>
            <tr>
              <th scope="col">Per day</th>
              <NumHeaders labels={WHAT_IF_COLUMNS} />
            </tr>
          </thead>
          <tbody>
            {ROWS.map((r) => (
              <tr key={r.key} data-testid={`what-if-${r.key}`}>
                <th scope="row">{r.label}</th>
                <td class="num">{r.format(answer.current[r.key])}</td>
                <td class="num">{r.format(answer.proposed[r.key])}</td>
                <td class="num">{changeText(answer.current[r.key], answer.proposed[r.key])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
