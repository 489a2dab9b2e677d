// Entry of the script-tag build: the public API as the global `Fovea` (a
// page that loads the script twice keeps the first instance). The replay
// chunk is loaded from beside this script, so its URL is noted now, while
// document.currentScript is this script.
import { addAction, addError, flush, init, optOut, setConsent, setContext, setUser, startReplay, startView, stopReplay } from './index.js';
import { captureBase } from './replay.js';

captureBase();
(globalThis as { Fovea?: object }).Fovea ||= { init, addAction, addError, setUser, setContext, setConsent, optOut, startView, flush, startReplay, stopReplay };
