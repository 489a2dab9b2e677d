import { useState } from 'preact/hooks';
import { frameFunction, framePosition, layoutFrames, needsSourceMaps, numberContext } from '../lib/stack';
import type { StackFrame } from '../lib/types';
import { Empty } from './States';

/** An issue's stack: its frames (source-mapped when a map matched), a hint when none could be, and the raw text. */
export function StackTrace(props: { stack?: string | null; frames: StackFrame[]; release?: string | null }) {
  const { stack, frames, release } = props;
  if (stack == null && frames.length === 0) {
    return <Empty title="No stack trace">The browser reported this error without one.</Empty>;
  }
  return (
    <div class="stack-trace">
      {needsSourceMaps(frames) && (
        <div class="notice hint" data-testid="symbolicate-hint">
          Stack not symbolicated: upload the source maps of{' '}
          {release != null ? (
            <>
              release <code>{release}</code>
            </>
          ) : (
            <>
              its release (set the SDK's <code>release</code> option)
            </>
          )}{' '}
          with <code>fovea sourcemaps upload</code> (docs/errors.md).
        </div>
      )}
      {frames.length > 0 && <FrameList frames={frames} />}
      {stack != null && (
        // Closed unless there are no parsed frames; the e2e test reads the text either way.
        // The code blocks scroll, so they take focus: the keyboard can scroll them too.
        <details class="raw-stack" open={frames.length === 0}>
          <summary>Raw stack</summary>
          <pre class="stack" data-testid="stack" tabIndex={0}>
            {stack}
          </pre>
        </details>
      )}
    </div>
  );
}

function FrameList(props: { frames: StackFrame[] }) {
  const { frames } = props;
  const [unfolded, setUnfolded] = useState<ReadonlySet<number>>(new Set());
  const toggle = (from: number) =>
    setUnfolded((s) => {
      const next = new Set(s);
      if (!next.delete(from)) next.add(from);
      return next;
    });
  return (
    <ol class="frames" data-testid="frames">
      {layoutFrames(frames).map((row) => {
        if (row.kind === 'frame') return <Frame key={row.index} frame={frames[row.index]!} open={row.open} />;
        const n = row.to - row.from;
        const shown = unfolded.has(row.from);
        return (
          <li key={`fold-${row.from}`} class="frame-fold">
            <button type="button" class="btn ghost small" aria-expanded={shown} onClick={() => toggle(row.from)}>
              {shown ? `Hide ${n} ${n === 1 ? 'frame' : 'frames'}` : `Show ${n} more ${n === 1 ? 'frame' : 'frames'}`}
            </button>
            {shown && (
              <ol class="frames">
                {frames.slice(row.from, row.to).map((f, i) => (
                  <Frame key={row.from + i} frame={f} open={false} />
                ))}
              </ol>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function Frame(props: { frame: StackFrame; open: boolean }) {
  const f = props.frame;
  const head = (
    <>
      <span class="frame-fn">{frameFunction(f)}</span>
      <span class="muted"> in </span>
      <span class="frame-pos">{framePosition(f)}</span>
      {!f.in_app && <span class="frame-tag">dependency</span>}
      {f.minified && <span class="frame-from muted">from {framePosition(f.minified)}</span>}
    </>
  );
  const cls = `frame${f.in_app ? ' in-app' : ''}`;
  if (f.context == null) {
    return (
      <li class={cls} data-testid="frame">
        <div class="frame-head">{head}</div>
      </li>
    );
  }
  return (
    <li class={cls} data-testid="frame">
      <details open={props.open}>
        <summary class="frame-head">{head}</summary>
        <pre class="frame-code" tabIndex={0}>
          {numberContext(f.context, f.line).map((l) => (
            <span key={l.n} class={l.current ? 'code-line current' : 'code-line'}>
              <span class="ln">{l.n}</span>
              <span class="code-text">{l.text}</span>
            </span>
          ))}
        </pre>
      </details>
    </li>
  );
}
