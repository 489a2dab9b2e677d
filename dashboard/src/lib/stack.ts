// How the issue page lays out a stack's frames, kept pure for unit tests.
// Like Sentry: the site's own frames are open with their source, runs of
// dependency frames fold away, and a stack nobody could map says how to fix it.

import type { SourceContext, StackFrame } from './types';

export interface ContextLine {
  n: number;
  text: string;
  current: boolean;
}

/** The source lines around `line`, numbered: `pre` ends just above it, `post` starts just below. */
export function numberContext(ctx: SourceContext, line: number): ContextLine[] {
  const first = line - ctx.pre.length;
  return [
    ...ctx.pre.map((text, i) => ({ n: first + i, text, current: false })),
    { n: line, text: ctx.line, current: true },
    ...ctx.post.map((text, i) => ({ n: line + 1 + i, text, current: false })),
  ];
}

export function frameFunction(f: { function?: string | null }): string {
  return f.function || '<anonymous>';
}

export function framePosition(f: { file: string; line: number; column: number }): string {
  return `${f.file}:${f.line}:${f.column}`;
}

/** A frame to show, open (its source visible) or not. */
export interface ShownFrame {
  kind: 'frame';
  index: number;
  open: boolean;
}

/** A run of dependency frames folded behind "Show N more frames": indices [from, to). */
export interface FoldedFrames {
  kind: 'folded';
  from: number;
  to: number;
}

/**
 * The rows of the frame list. In-app frames are shown, open when they have
 * source; each run of other frames is folded. A stack with no in-app frame
 * at all is shown whole (folding it would hide everything), its innermost
 * frame open: that is where it broke.
 */
export function layoutFrames(frames: readonly StackFrame[]): (ShownFrame | FoldedFrames)[] {
  if (!frames.some((f) => f.in_app)) {
    return frames.map((f, index) => ({ kind: 'frame', index, open: index === 0 && f.context != null }));
  }
  const rows: (ShownFrame | FoldedFrames)[] = [];
  frames.forEach((f, index) => {
    const last = rows[rows.length - 1];
    if (f.in_app) rows.push({ kind: 'frame', index, open: f.context != null });
    else if (last?.kind === 'folded' && last.to === index) last.to = index + 1;
    else rows.push({ kind: 'folded', from: index, to: index + 1 });
  });
  return rows;
}

/** Past this column a line was not written by hand. */
const MINIFIED_COLUMN = 200;

function looksMinified(f: StackFrame): boolean {
  return /\.min\.[cm]?js\b/.test(f.file) || f.column > MINIFIED_COLUMN;
}

/**
 * Whether to suggest uploading source maps: no frame was mapped, yet some
 * frame is in a minified file (`.min.js`, or a column no one types).
 */
export function needsSourceMaps(frames: readonly StackFrame[]): boolean {
  return !frames.some((f) => f.minified != null) && frames.some(looksMinified);
}
