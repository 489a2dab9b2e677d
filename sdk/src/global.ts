// Entry of the script-tag build: the public API as the global `Fovea` (a
// page that loads the script twice keeps the first instance).
import { addAction, addError, flush, init, setConsent, setContext, setUser, startView } from './index.js';

(globalThis as { Fovea?: object }).Fovea ||= { init, addAction, addError, setUser, setContext, setConsent, startView, flush };
