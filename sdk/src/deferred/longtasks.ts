import { limiter } from '../lib/limiter.js';
import { observe } from '../lib/observe.js';
import { epoch } from '../lib/now.js';
import { round } from '../lib/round.js';
import { H } from './hook.js';

interface Script {
  duration: number;
  sourceURL?: string;
  sourceFunctionName?: string;
  invoker?: string;
}

/**
 * Long Animation Frames (frames over 50 ms, with the longest script's URL,
 * function and invoker) where the browser has them, else long tasks. At most
 * 100 a minute are sent. Started by the deferred chunk: the browser buffers
 * the entries from before it came (200 of each type).
 */
export const initLongTasks = (): void => {
  const { t: track, s: scrub } = H;
  const allow = limiter(100);
  const send = (e: PerformanceEntry, kind: string, blocking: number, sc?: Script) =>
    allow() &&
    track!(
      'long_task',
      {
        kind,
        duration: round(e.duration),
        blocking_duration: round(blocking),
        script_url: sc?.sourceURL ? scrub!(sc.sourceURL) : undefined,
        script_function: sc?.sourceFunctionName || undefined,
        script_invoker: sc?.invoker || undefined,
      },
      epoch(e.startTime),
    );
  observe('long-animation-frame', (es: (PerformanceEntry & { blockingDuration: number; scripts?: Script[] })[]) => {
    for (const e of es)
      send(
        e,
        'loaf',
        e.blockingDuration,
        (e.scripts || []).reduce<Script | undefined>((a, b) => (!a || b.duration > a.duration ? b : a), undefined),
      );
  }) || observe('longtask', (es: PerformanceEntry[]) => es.forEach((e) => send(e, 'long_task', e.duration - 50)));
};
