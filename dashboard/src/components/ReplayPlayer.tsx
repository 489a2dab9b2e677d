import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import { eventTitle, TYPE_LABEL } from '../lib/events';
import { formatBytes, formatCount } from '../lib/format';
import {
  currentIndex,
  formatClock,
  loadInOrder,
  monotonic,
  playableSegments,
  replayMarkers,
  seekOffset,
  SPEEDS,
  type Marker,
  type ReplayIndex,
  type ReplaySegment,
  type RrwebEvent,
} from '../lib/replay';
import type { Replayer } from '../lib/replayer';
import type { SessionEvent } from '../lib/types';
import { useApi } from '../lib/useApi';
import { Async, Empty, ErrorState, Loading } from './States';

/** The tallest the replayed viewport is drawn, in CSS px; wider pages are scaled down to fit. */
const MAX_HEIGHT = 560;
/** How often the playhead is read while playing. */
const TICK_MS = 100;

const MARKER_LABEL: Record<Marker['kind'], string> = {
  view: 'View',
  action: 'Action',
  frustration: 'Frustration',
  error: 'Error',
};

interface Props {
  app: string;
  session: string;
  /** the session's events, in time order */
  events: SessionEvent[];
  /** `?t=`: open the replay at this moment (ms since the epoch) */
  seek: number | null;
  /** the playhead, in ms since the epoch, each time it moves */
  onTime: (t: number) => void;
}

/** The session's replay: its segment index, then the player. */
export function ReplayPanel(props: Props) {
  const { loc } = usePage();
  const path = `/apps/${encodeURIComponent(props.app)}/sessions/${encodeURIComponent(props.session)}/replay`;
  const index = useApi<ReplayIndex>(path, loc.epoch);
  return (
    <section class="panel replay" aria-label="Session replay">
      <Async q={index} what="the replay" rows={4}>
        {(ix) => {
          const segments = playableSegments(ix.segments);
          if (ix.segments.length === 0) return <NoReplay />;
          if (segments.length === 0)
            return (
              <>
                <ReplayHead />
                <Empty title="This replay cannot be played">None of its segments holds a full snapshot of the page to start from.</Empty>
              </>
            );
          return <Player {...props} path={path} segments={segments} />;
        }}
      </Async>
    </section>
  );
}

function ReplayHead(props: { children?: ComponentChildren }) {
  return (
    <div class="panel-head">
      <h2>Replay {props.children}</h2>
    </div>
  );
}

/** What a session without a recording shows where the player would be. */
export function NoReplay() {
  return (
    <>
      <ReplayHead />
      <p class="muted rp-none" data-testid="no-replay">
        No replay recorded for this session.
      </p>
    </>
  );
}

function Player(props: Props & { path: string; segments: ReplaySegment[] }) {
  const { segments, path } = props;
  const start = segments[0]?.start ?? 0;
  const end = Math.max(start, ...segments.map((s) => s.end));
  const total = end - start;
  const bytes = segments.reduce((n, s) => n + s.bytes, 0);

  const frameRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const replayerRef = useRef<Replayer | null>(null);
  // The player's own state, kept in refs for rrweb's callbacks.
  const playingRef = useRef(false);
  const timeRef = useRef(0);
  const loadedEndRef = useRef(start);
  const allLoadedRef = useRef(false);
  const stalledRef = useRef(false);
  const seekRef = useRef<number | null>(props.seek);
  const speedRef = useRef<number>(1);
  const skipRef = useRef(true);

  const [attempt, setAttempt] = useState(0);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [ready, setReady] = useState(false);
  const [loaded, setLoaded] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [time, setTime] = useState(0);
  const [speed, setSpeed] = useState<number>(1);
  const [skip, setSkip] = useState(true);
  const [skipping, setSkipping] = useState(false);
  const [dims, setDims] = useState<{ width: number; height: number } | null>(null);

  const markers = useMemo(() => replayMarkers(props.events, start, end), [props.events, start, end]);
  const markerTimes = useMemo(() => markers.map((m) => m.event.ts), [markers]);
  const current = currentIndex(markerTimes, start + time);

  const show = (offset: number) => {
    timeRef.current = offset;
    setTime(offset);
    props.onTime(start + offset);
  };
  const setPlay = (on: boolean) => {
    playingRef.current = on;
    setPlaying(on);
  };
  /** Moves the playhead to `offset` (ms from the start), within what has arrived. */
  const seekTo = (offset: number, play = playingRef.current) => {
    const r = replayerRef.current;
    if (!r) return;
    const o = Math.max(0, Math.min(offset, loadedEndRef.current - start));
    stalledRef.current = false;
    if (play) r.play(o);
    else r.pause(o);
    setPlay(play);
    show(o);
  };
  /** Honours `?t=` once the recording has arrived up to that moment. */
  const trySeek = () => {
    const t = seekRef.current;
    if (t == null || !replayerRef.current || (loadedEndRef.current < t && !allLoadedRef.current)) return;
    seekRef.current = null;
    seekTo(seekOffset(t, start, loadedEndRef.current), true);
  };

  // Fetch the segments in order and feed them to one Replayer as they arrive.
  useEffect(() => {
    const ctl = new AbortController();
    let buffered: RrwebEvent[] = [];
    let floor = -Infinity;
    let create: ((root: HTMLElement, events: RrwebEvent[]) => Replayer) | null = null;
    setError(undefined);
    setReady(false);
    setLoaded(0);
    setPlay(false);
    timeRef.current = 0;
    setTime(0);
    allLoadedRef.current = false;
    loadedEndRef.current = start;
    stalledRef.current = false;

    const pump = () => {
      const r = replayerRef.current;
      if (r) {
        for (const e of buffered) r.addEvent(e as unknown as Parameters<Replayer['addEvent']>[0]);
        buffered = [];
        if (stalledRef.current) seekTo(timeRef.current, true);
      } else if (create && stageRef.current && buffered.length >= 2 && buffered.some((e) => e.type === 2)) {
        const made = create(stageRef.current, buffered);
        buffered = [];
        replayerRef.current = made;
        made.setConfig({ speed: speedRef.current, skipInactive: skipRef.current });
        made.on('resize', (d) => {
          const { width, height } = d as { width: number; height: number };
          if (width > 0 && height > 0) setDims({ width, height });
        });
        made.on('skip-start', () => setSkipping(true));
        made.on('skip-end', () => setSkipping(false));
        made.on('finish', () => {
          setSkipping(false);
          if (allLoadedRef.current) {
            setPlay(false);
            show(loadedEndRef.current - start);
          } else {
            // Caught up with the download: go on when the next segment arrives.
            stalledRef.current = true;
            show(loadedEndRef.current - start);
          }
        });
        made.pause(0);
        setReady(true);
      } else return;
      trySeek();
    };

    import('../lib/replayer').then(
      (m) => {
        if (ctl.signal.aborted) return;
        create = m.createReplayer;
        pump();
      },
      (e: unknown) => {
        if (!ctl.signal.aborted) setError(e instanceof Error ? e : new Error(String(e)));
      },
    );
    loadInOrder(
      segments.length,
      (i) => api<RrwebEvent[]>(`${path}/${(segments[i] as ReplaySegment).index}`, { signal: ctl.signal }),
      (chunk, i) => {
        if (ctl.signal.aborted) return;
        const m = monotonic(Array.isArray(chunk) ? chunk : [], floor);
        floor = m.last;
        buffered.push(...m.events);
        loadedEndRef.current = Math.max(loadedEndRef.current, (segments[i] as ReplaySegment).end, floor);
        allLoadedRef.current = i === segments.length - 1;
        setLoaded(i + 1);
        pump();
      },
    ).catch((e: unknown) => {
      if (ctl.signal.aborted) return;
      ctl.abort();
      setError(e instanceof Error ? e : new Error(String(e)));
    });

    return () => {
      ctl.abort();
      replayerRef.current?.destroy();
      replayerRef.current = null;
    };
  }, [path, attempt, segments.length]);

  // A new `?t=` on the same page (another link followed) seeks again.
  useEffect(() => {
    seekRef.current = props.seek;
    trySeek();
  }, [props.seek]);

  // Read the playhead while playing.
  useEffect(() => {
    if (!playing) return;
    const id = window.setInterval(() => {
      const r = replayerRef.current;
      if (r && !stalledRef.current) show(Math.min(total, r.getCurrentTime()));
    }, TICK_MS);
    return () => window.clearInterval(id);
  }, [playing, total]);

  // Scale the recorded viewport to the panel (CSSOM only: the CSP allows no style attributes).
  useEffect(() => {
    const frame = frameRef.current;
    const stage = stageRef.current;
    if (!frame || !stage || !dims) return;
    const fit = () => {
      const scale = Math.min(1, frame.clientWidth / dims.width, MAX_HEIGHT / dims.height);
      stage.style.width = `${dims.width}px`;
      stage.style.height = `${dims.height}px`;
      stage.style.transform = `scale(${scale})`;
      frame.style.height = `${Math.ceil(dims.height * scale)}px`;
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(frame);
    return () => ro.disconnect();
  }, [dims]);

  // The replayed page is a picture: keep it out of the tab order and the accessibility tree.
  useEffect(() => {
    if (stageRef.current) stageRef.current.inert = true;
  }, []);

  const toggle = () => {
    if (playing) return seekTo(timeRef.current, false);
    const atEnd = allLoadedRef.current && timeRef.current >= total - 50;
    seekTo(atEnd ? 0 : timeRef.current, true);
  };
  const changeSpeed = (s: number) => {
    speedRef.current = s;
    setSpeed(s);
    replayerRef.current?.setConfig({ speed: s });
  };
  const changeSkip = (on: boolean) => {
    skipRef.current = on;
    setSkip(on);
    replayerRef.current?.setConfig({ skipInactive: on });
  };

  return (
    <div class="rp" data-testid="replay-player">
      <ReplayHead>
        <span class="muted small">
          {formatClock(total)} · {formatCount(segments.length)} {segments.length === 1 ? 'segment' : 'segments'} · {formatBytes(bytes)}
        </span>
      </ReplayHead>
      <div class="rp-body">
        <div class="rp-main">
          <div class="rp-frame" ref={frameRef}>
            <div class="rp-stage" ref={stageRef} />
            {(error || !ready) && (
              <div class="rp-overlay">
                {error ? <ErrorState error={error} retry={() => setAttempt((a) => a + 1)} what="the replay" /> : <Loading label="Loading the replay…" rows={3} />}
              </div>
            )}
          </div>
          <div class="rp-track">
            <div class="rp-markers">
              {markers.map((m) => (
                <span
                  key={m.event.event_id}
                  class={`rp-marker ${m.kind}`}
                  style={{ left: `${m.left}%` }}
                  title={`${MARKER_LABEL[m.kind]} at ${formatClock(m.offset)}: ${eventTitle(m.event)}`}
                  onClick={() => seekTo(m.offset)}
                />
              ))}
            </div>
            <input
              type="range"
              class="rp-range"
              aria-label="Position"
              min={0}
              max={Math.max(1, total)}
              step={100}
              value={time}
              aria-valuetext={`${formatClock(time)} of ${formatClock(total)}`}
              disabled={!ready}
              onInput={(e) => seekTo(Number(e.currentTarget.value))}
            />
          </div>
          <div class="rp-controls">
            <button type="button" class="btn primary rp-play" aria-label={playing ? 'Pause' : 'Play'} disabled={!ready} onClick={toggle}>
              <span aria-hidden="true">{playing ? '❚❚' : '▶'}</span>
            </button>
            <span class="rp-clock mono">
              {formatClock(time)} / {formatClock(total)}
            </span>
            <div class="type-toggles" role="group" aria-label="Speed">
              {SPEEDS.map((s) => (
                <button key={s} type="button" class={`type-toggle ${speed === s ? 'on' : ''}`} aria-pressed={speed === s} onClick={() => changeSpeed(s)}>
                  {s}×
                </button>
              ))}
            </div>
            <label class="toggle">
              <input type="checkbox" checked={skip} onChange={(e) => changeSkip(e.currentTarget.checked)} />
              Skip inactivity
            </label>
            <span class="muted small rp-status" role="status">
              {loaded < segments.length ? `Loading segment ${formatCount(loaded + 1)} of ${formatCount(segments.length)}…` : skipping ? 'Skipping inactivity…' : ''}
            </span>
          </div>
        </div>
        <Moments markers={markers} current={current} onSeek={(m) => seekTo(m.offset)} />
      </div>
    </div>
  );
}

/** The markers as a list beside the player: the keyboard's way to jump, and what follows the playhead. */
function Moments(props: { markers: Marker[]; current: number; onSeek: (m: Marker) => void }) {
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    // Scroll the list only, never the page, and leave focus where it is.
    const list = listRef.current;
    const item = list?.children[props.current] as HTMLElement | undefined;
    if (!list || !item) return;
    if (item.offsetTop < list.scrollTop) list.scrollTop = item.offsetTop;
    else if (item.offsetTop + item.offsetHeight > list.scrollTop + list.clientHeight) list.scrollTop = item.offsetTop + item.offsetHeight - list.clientHeight;
  }, [props.current]);
  if (props.markers.length === 0) return <div class="rp-moments empty muted small">No views, actions or errors during the recording.</div>;
  return (
    <ol class="rp-moments" ref={listRef} aria-label="Moments">
      {props.markers.map((m, i) => (
        <li key={m.event.event_id} class={`rp-moment ${m.kind} ${i === props.current ? 'current' : ''}`}>
          <button type="button" aria-current={i === props.current ? 'true' : undefined} onClick={() => props.onSeek(m)}>
            <span class="rp-moment-time mono">{formatClock(m.offset)}</span>
            <span class={`type-badge ${m.event.type}`}>{m.kind === 'frustration' ? 'Frustration' : (TYPE_LABEL[m.event.type] ?? m.event.type)}</span>
            <span class="rp-moment-title">{eventTitle(m.event)}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}
