// The sampling editor of Settings → Sampling: the app's ordered rules, its
// default, its exclusions and its bots policy (`GET|PUT /apps/{app}/sampling`).
// The form holds strings; this turns the body the server sends into the form's
// draft and the draft back into the body to PUT, and checks what the server
// would refuse first, naming the field the way its 400 does
// (`rules[2].session_rate`), so the two read alike. The server still checks
// everything (globs, CIDR ranges) and its message is shown as it is.
// Pure, unit tested in test/sampling.test.ts.

import { parseNumberIn } from './forms';
import type { BotsPolicy, Sampling, SamplingMatch, SamplingRule } from './types';

export const MAX_RULES = 100;
export const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
export const MATCH_KEYS = ['route', 'env', 'release', 'device', 'country'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

export const MATCH_LABEL: Readonly<Record<MatchKey, string>> = {
  route: 'Route',
  env: 'Environment',
  release: 'Release',
  device: 'Device',
  country: 'Country',
};

export const BOTS_LABEL: Readonly<Record<BotsPolicy, string>> = {
  drop: 'Drop them',
  tag: 'Keep them, stored with device “bot”',
};

/** One rule as the form holds it; `id` keeps its inputs when rules move. */
export interface RuleDraft {
  id: number;
  match: Record<MatchKey, string>;
  session_rate: string;
  /** empty: the default's */
  replay_rate: string;
  keep: boolean;
}

export interface SamplingDraft {
  rules: RuleDraft[];
  default_session_rate: string;
  default_replay_rate: string;
  /** comma or line separated */
  envs: string;
  routes: string;
  ip_ranges: string;
  bots: BotsPolicy;
}

/** A field the server would refuse, named as its 400 names it. */
export interface Problem {
  path: string;
  message: string;
}

let nextId = 1;

const rate = (n: number | null | undefined) => (n == null ? '' : String(n));

export function newRule(): RuleDraft {
  return { id: nextId++, match: { route: '', env: '', release: '', device: '', country: '' }, session_rate: '100', replay_rate: '', keep: false };
}

function ruleDraft(r: SamplingRule): RuleDraft {
  const m = r.match ?? {};
  return {
    id: nextId++,
    match: { route: m.route ?? '', env: m.env ?? '', release: m.release ?? '', device: m.device ?? '', country: m.country ?? '' },
    session_rate: rate(r.session_rate),
    replay_rate: rate(r.replay_rate),
    keep: r.keep === true,
  };
}

/** The form's draft of what the server sent. */
export function draftOf(s: Sampling): SamplingDraft {
  return {
    rules: (s.rules ?? []).map(ruleDraft),
    default_session_rate: rate(s.default?.session_rate),
    default_replay_rate: rate(s.default?.replay_rate),
    envs: (s.exclude?.envs ?? []).join('\n'),
    routes: (s.exclude?.routes ?? []).join('\n'),
    ip_ranges: (s.exclude?.ip_ranges ?? []).join('\n'),
    bots: s.bots === 'tag' ? 'tag' : 'drop',
  };
}

/** The entries of a comma or line separated list: trimmed, empty ones and repeats left out. */
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[,\r\n]+/)) {
    const s = raw.trim();
    if (s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

/** A rule's match as the body carries it: only the keys given, trimmed, the country upper case. */
export function matchOf(r: RuleDraft): SamplingMatch {
  const match: SamplingMatch = {};
  for (const key of MATCH_KEYS) {
    const v = r.match[key].trim();
    if (v !== '') match[key] = key === 'country' ? v.toUpperCase() : v;
  }
  return match;
}

/**
 * The body to PUT, and what the server would refuse in it. A match keeps
 * only the keys given (absent = any); a rule's empty replay rate is left out
 * (it takes the default's); countries go upper case.
 */
export function bodyOf(d: SamplingDraft): { body: Sampling; problems: Problem[] } {
  const problems: Problem[] = [];
  const percent = (text: string, path: string): number => {
    const n = parseNumberIn(text, 0, 100);
    if (n == null) problems.push({ path, message: `${path} must be a percentage from 0 to 100` });
    return n ?? 0;
  };
  if (d.rules.length > MAX_RULES) problems.push({ path: 'rules', message: `at most ${MAX_RULES} rules (${d.rules.length} given)` });
  const rules = d.rules.map((r, i): SamplingRule => {
    const at = `rules[${i}]`;
    const match = matchOf(r);
    if (match.device != null && !(DEVICES as readonly string[]).includes(match.device.toLowerCase())) {
      problems.push({ path: `${at}.match.device`, message: `${at}.match.device must be one of ${DEVICES.join(', ')}` });
    }
    if (match.country != null && !/^[A-Z]{2}$/.test(match.country)) {
      problems.push({ path: `${at}.match.country`, message: `${at}.match.country must be a two-letter country code (ISO 3166), e.g. FR` });
    }
    const rule: SamplingRule = { match, session_rate: percent(r.session_rate, `${at}.session_rate`) };
    if (r.replay_rate.trim() !== '') rule.replay_rate = percent(r.replay_rate, `${at}.replay_rate`);
    rule.keep = r.keep;
    return rule;
  });
  const body: Sampling = {
    rules,
    default: {
      session_rate: percent(d.default_session_rate, 'default.session_rate'),
      replay_rate: percent(d.default_replay_rate, 'default.replay_rate'),
    },
    exclude: { envs: parseList(d.envs), routes: parseList(d.routes), ip_ranges: parseList(d.ip_ranges) },
    bots: d.bots,
  };
  return { body, problems };
}

/** The rules with rule `i` moved by `delta` places (unchanged when it would leave the list). */
export function moveRule<T>(rules: readonly T[], i: number, delta: number): T[] {
  const j = i + delta;
  const out = [...rules];
  if (i < 0 || i >= out.length || j < 0 || j >= out.length) return out;
  const [r] = out.splice(i, 1);
  out.splice(j, 0, r!);
  return out;
}

/** What a rule matches, in words: `route /checkout* · env prod`, or every session. */
export function matchText(m: SamplingMatch): string {
  const parts = MATCH_KEYS.filter((k) => m[k] != null && m[k] !== '').map((k) => `${MATCH_LABEL[k].toLowerCase()} ${m[k]}`);
  return parts.length === 0 ? 'every session' : parts.join(' · ');
}

/**
 * Warnings that do not stop a save: a rule that matches every session
 * shadows the rules after it and the default.
 */
export function shadowNote(body: Sampling): string | null {
  const rules = body.rules ?? [];
  const i = rules.findIndex((r) => Object.values(r.match ?? {}).every((v) => v == null));
  if (i < 0) return null;
  const after = rules.length - i - 1;
  if (after === 0) return `Rule ${i + 1} matches every session: the default never applies.`;
  return `Rule ${i + 1} matches every session: the ${after === 1 ? 'rule' : `${after} rules`} after it and the default never apply.`;
}

/** The change from `current` to `proposed` as a signed percentage: `+12%`, `−40%`, `±0%`, or `new`. */
export function changeText(current: number, proposed: number): string {
  if (current === proposed) return '±0%';
  if (current === 0) return 'new';
  const p = ((proposed - current) / current) * 100;
  const abs = Math.abs(p);
  const n = abs < 10 ? abs.toFixed(1).replace(/\.0$/, '') : String(Math.round(abs));
  return `${p > 0 ? '+' : '−'}${n}%`;
}
