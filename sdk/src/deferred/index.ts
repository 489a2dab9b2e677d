// The deferred chunk: what can wait until the server's sampling config is
// known, since nothing is sent before (src/deferred.ts loads it at init,
// beside the core, in parallel with the config): the rules engine, the
// automation signals, and the collectors of performance entries that the
// browser buffers until they are observed (resources, long tasks), so
// starting them now loses nothing. No exports: it registers on the hook.
import { automation } from '../lib/automation.js';
import { H } from './hook.js';
import { initLongTasks } from './longtasks.js';
import { excluded, routeOf, rule } from './rules.js';
import { initResources } from './resources.js';
import { initViewVitals } from './viewVitals.js';

const S = H.S!;
const o = S.o!;
// the rules for the page's options; a view's route as the rules (and the server) see it
H.r = (g, r) => rule(g, r, S.o!);
H.x = (g, r) => excluded(g, r, S.o!);
H.e = routeOf;
S.b = automation();
initViewVitals();
if (o.trackResources !== false) initResources();
if (o.trackLongTasks !== false) initLongTasks();
