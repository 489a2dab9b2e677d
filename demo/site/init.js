// Starts the Fovea SDK with the endpoint and key that demo/serve.mjs put in
// /config.js. Loaded as a file (no inline script), so the pages keep a strict CSP.
(function () {
  var c = window.FOVEA_CONFIG || {};
  var stored = function (k) {
    try {
      return localStorage.getItem(k);
    } catch (e) {
      return null;
    }
  };
  // Extra options for one browser (the end-to-end tests set them, e.g. replay modes).
  var extra = {};
  try {
    extra = JSON.parse(stored('demo_fovea') || '{}');
  } catch (e) {
    /* not JSON: ignored */
  }
  var options = {
    endpoint: c.endpoint,
    key: c.key,
    env: c.env,
    // demo/traffic.mjs varies the release and the signed-in user per session
    release: stored('demo_release') || c.release,
    allowedTracingUrls: [location.origin + '/api/'],
    trackConsoleErrors: true,
    routeName: function (url) {
      var p = new URL(url).pathname.replace(/\.html$/, '');
      return /^\/spa\/orders\/\d+/.test(p) ? '/spa/orders/:id' : p === '/index' ? '/' : p;
    },
    // The demo records every session so the quick start shows replays.
    replaySampleRate: c.replaySampleRate,
  };
  Object.keys(extra).forEach(function (k) {
    options[k] = extra[k];
  });
  Fovea.init(options);
  var user = stored('demo_user');
  if (user) Fovea.setUser({ id: user });
})();
