// Behaviour of the demo pages. Everything here exists to give the Fovea SDK
// something to measure: images for LCP, a layout shift, long tasks, slow
// handlers (INP), errors of every kind, requests (traced and failing),
// frustrating clicks and SPA routes. DOM is built with createElement and
// textContent only (the pages require Trusted Types).
(function () {
  'use strict';
  var page = document.body.getAttribute('data-page');
  var DOWN_URL = 'http://127.0.0.1:9/unreachable';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text != null) e.textContent = text;
    return e;
  }
  function on(id, fn) {
    var e = document.getElementById(id);
    if (e) e.addEventListener('click', fn);
  }
  function log(msg) {
    var l = document.getElementById('log');
    if (l) l.textContent = new Date().toISOString().slice(11, 19) + '  ' + msg + '\n' + l.textContent;
  }
  function busy(ms) {
    var end = performance.now() + ms;
    var x = 0;
    while (performance.now() < end) x += Math.sqrt(x + 1);
    return x;
  }
  function stored(k, v) {
    try {
      if (v === undefined) return localStorage.getItem(k);
      if (v === null) localStorage.removeItem(k);
      else localStorage.setItem(k, v);
    } catch (e) {
      return null;
    }
  }

  // navigation highlight and the sign-in toggle (sets the Fovea user)
  var nav = document.querySelector('[data-nav="' + page + '"]');
  if (nav) nav.classList.add('active');
  var signin = document.getElementById('signin');
  function showUser() {
    if (signin) signin.textContent = stored('demo_user') ? 'Sign out ' + stored('demo_user') : 'Sign in';
  }
  showUser();
  on('signin', function () {
    if (stored('demo_user')) {
      stored('demo_user', null);
      Fovea.setUser(null);
    } else {
      var id = 'user-' + Math.floor(Math.random() * 1000);
      stored('demo_user', id);
      Fovea.setUser({ id: id });
    }
    showUser();
  });

  // some start-up work on every page: a long task shortly after load
  setTimeout(function () {
    busy(80 + Math.random() * 120);
  }, 50);

  if (page === 'checkout') {
    var form = document.getElementById('checkout-form');
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      document.getElementById('order-state').textContent = 'Order placed: thank you!';
      Fovea.addAction('order placed', { country: form.elements.country.value });
    });
    // a traced request whose backend does slow work (a database query, a stock reservation)
    on('check-stock', function () {
      var state = document.getElementById('stock-state');
      state.textContent = 'Checking stock…';
      fetch('/api/checkout?items=' + (1 + Math.floor(Math.random() * 3)))
        .then(function (r) {
          return r.json();
        })
        .then(function (j) {
          state.textContent = 'In stock: ' + j.items + ' item(s) reserved on order #' + j.order + ' (traceparent ' + j.traceparent + ')';
        });
    });
  }

  if (page === 'home') {
    on('newsletter', function () {
      document.getElementById('newsletter-state').textContent = 'Thanks! Check your inbox.';
      Fovea.addAction('newsletter signup', { source: 'home' });
    });
  }

  if (page === 'products') {
    var count = 0;
    fetch('/api/products')
      .then(function (r) {
        return r.json();
      })
      .then(function (data) {
        var grid = document.getElementById('products');
        grid.textContent = '';
        data.products.forEach(function (p) {
          var card = el('div', { class: 'card' });
          card.appendChild(el('img', { src: '/img/product-' + p.id + '.svg', width: '320', height: '220', alt: p.name }));
          card.appendChild(el('h3', {}, p.name));
          card.appendChild(el('p', {}, '€' + p.price));
          var add = el('button', { type: 'button', 'data-fovea-action': 'add to cart' }, 'Add to cart');
          add.addEventListener('click', function () {
            // XHR on purpose: the SDK instruments both fetch and XMLHttpRequest
            var x = new XMLHttpRequest();
            x.open('POST', '/api/ok?cart=add&item=' + p.id);
            x.onload = function () {
              count++;
              document.getElementById('cart-count').textContent = String(count);
            };
            x.send();
          });
          card.appendChild(add);
          grid.appendChild(card);
        });
      });
  }

  if (page === 'lab') {
    // a late banner pushes the content down: a layout shift (CLS)
    setTimeout(function () {
      var main = document.getElementById('lab-main');
      var b = el('div', { class: 'banner', id: 'promo' }, 'Free shipping this week on orders over €50!');
      main.insertBefore(b, main.firstChild);
    }, 600);

    on('throw', function () {
      var cart; // a bug: the cart is not loaded yet
      log('throwing…');
      return cart.total;
    });
    on('reject', function () {
      log('rejecting a promise nobody handles');
      Promise.reject(new Error('checkout service unavailable'));
    });
    on('broken-image', function () {
      log('loading /img/missing.png');
      document.getElementById('broken-images').appendChild(el('img', { src: '/img/missing.png?token=secret', alt: 'missing', width: '10', height: '10' }));
    });
    on('fetch-500', function () {
      fetch('/api/fail').then(function (r) {
        log('fetch /api/fail → ' + r.status);
      });
    });
    on('fetch-down', function () {
      fetch(DOWN_URL).catch(function (e) {
        log('fetch ' + DOWN_URL + ' → ' + e.message);
      });
    });
    on('xhr-500', function () {
      var x = new XMLHttpRequest();
      x.open('GET', '/api/fail?via=xhr');
      x.onloadend = function () {
        log('XHR /api/fail → ' + x.status);
      };
      x.send();
    });
    on('console-error', function () {
      console.error('payment widget failed to render', { code: 'E_WIDGET' });
    });
    on('custom-error', function () {
      try {
        JSON.parse('{coupon:');
      } catch (e) {
        Fovea.addError(e, { coupon: 'SPRING' });
        log('reported a handled error: ' + e.message);
      }
    });
    on('custom-action', function () {
      Fovea.addAction('coupon viewed', { coupon: 'SPRING' });
      log('custom action sent');
    });
    on('traced', function () {
      fetch('/api/slow?ms=400')
        .then(function (r) {
          return r.json();
        })
        .then(function (j) {
          log('server saw traceparent ' + j.traceparent);
        });
    });
    on('slow', function () {
      busy(350);
      log('done with 350 ms of work');
    });
    // #rage and #dead deliberately have no handler
  }

  if (page === 'spa') {
    var view = document.getElementById('view');
    var render = function () {
      var p = location.pathname.replace(/\/$/, '') || '/spa';
      view.textContent = '';
      var m = p.match(/^\/spa\/orders\/(\d+)$/);
      if (p === '/spa') {
        view.appendChild(el('h1', {}, 'Your account'));
        view.appendChild(el('p', {}, 'Welcome back. Pick a section above.'));
      } else if (p === '/spa/orders') {
        view.appendChild(el('h1', {}, 'Orders'));
        var list = el('ul');
        view.appendChild(list);
        fetch('/api/ok?list=orders')
          .then(function (r) {
            return r.json();
          })
          .then(function () {
            [42, 43, 44].forEach(function (n) {
              var li = el('li');
              li.appendChild(el('a', { href: '/spa/orders/' + n, 'data-route': '' }, 'Order #' + n));
              list.appendChild(li);
            });
          });
      } else if (m) {
        view.appendChild(el('h1', {}, 'Order #' + m[1]));
        view.appendChild(el('p', {}, 'Shipped. Arrives Thursday.'));
        busy(60);
      } else if (p === '/spa/settings') {
        view.appendChild(el('h1', {}, 'Settings'));
        var label = el('label', {}, 'Display name ');
        label.appendChild(el('input', { type: 'text', name: 'display', value: 'Jane' }));
        view.appendChild(label);
        view.appendChild(el('button', { type: 'button', id: 'save' }, 'Save'));
      } else {
        view.appendChild(el('h1', {}, 'Not found'));
      }
    };
    document.addEventListener('click', function (e) {
      var a = e.target.closest && e.target.closest('a[data-route]');
      if (!a || e.metaKey || e.ctrlKey) return;
      e.preventDefault();
      history.pushState({}, '', a.getAttribute('href'));
      render();
    });
    window.addEventListener('popstate', render);
    render();
  }

  if (page === 'csp') {
    on('csp-fetch', function () {
      fetch('/api/ok?from=csp')
        .then(function (r) {
          return r.json();
        })
        .then(function (j) {
          log('traceparent ' + j.traceparent);
        });
    });
    on('csp-action', function () {
      Fovea.addAction('csp custom action');
      log('custom action');
    });
    on('csp-route', function () {
      history.pushState({}, '', '/csp.html?step=' + Date.now());
      history.pushState({}, '', '/csp-step-2');
      log('route changed');
    });
  }
})();
