// `@fovea/browser/vue`: a Vue 3 plugin that reports the errors Vue catches.
// The build turns the core's import into `@fovea/browser` (scripts/build.mjs),
// so the app's bundler keeps one copy of the SDK; Vue is the app's (a peer
// dependency).
import { addError } from './index.js';
import type { App, ComponentPublicInstance } from 'vue';

export interface FoveaVueOptions {
  /**
   * With no `errorHandler` before this one, also `console.error` the error,
   * as Vue does without a handler. Default true; set it to false with
   * `trackConsoleErrors`, or each error is reported a second time as a console error.
   */
  logErrors?: boolean;
}

/** The name Vue's devtools show: `name`, else the `<script setup>` file's. */
const nameOf = (vm: ComponentPublicInstance | null): string | undefined => {
  const o = vm?.$options as { name?: string; __name?: string } | undefined;
  return o && (o.name || o.__name || 'Anonymous');
};

/**
 * `app.use(FoveaVue)`: sets `app.config.errorHandler` to report each error
 * (render, setup, lifecycle hooks, watchers, event handlers bound in
 * templates) with `addError` (`source: 'custom'`, `handled: true`,
 * `attrs.framework = 'vue'`, `attrs.component`, `attrs.lifecycle`: Vue's info
 * string, e.g. `setup function`, or a short code in production builds),
 * then calls the handler that was set before, if any.
 */
export const FoveaVue = {
  install(app: App, options?: FoveaVueOptions): void {
    const prev = app.config.errorHandler;
    app.config.errorHandler = (err, vm, info) => {
      addError(err, { framework: 'vue', component: nameOf(vm), lifecycle: info });
      if (prev) prev(err, vm, info);
      else if (options?.logErrors !== false) console.error(err);
    };
  },
};
