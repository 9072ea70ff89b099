// Failed taps. htmx-config (in the layout) puts the server's message about a
// failed request (the one error handler's RequestError) into the page's
// alert region, #request-error, and leaves the page as it was. This script
// says what the server cannot: that a request got no answer at all (no
// connection, a timeout), or an answer that was not ours (a proxy's error
// page, from which htmx took nothing). It uses the words the server put on
// the region, clears the region when the next request starts, and closes it
// on its button.
(function () {
  'use strict';

  function region() { return document.getElementById('request-error'); }

  function clear() {
    var r = region();
    if (r) r.textContent = '';
  }

  // show writes a message like RequestError's, built from the region's own
  // data- attributes (the catalogue's words in the page's language).
  function show(kind, detail) {
    var r = region();
    if (!r) return;
    var box = document.createElement('div');
    box.className = 'request-error-message';
    var title = document.createElement('p');
    title.className = 'request-error-title';
    var strong = document.createElement('strong');
    strong.textContent = r.getAttribute('data-' + kind + '-title') || '';
    title.appendChild(strong);
    var body = document.createElement('p');
    body.textContent = r.getAttribute('data-' + kind + '-body') || '';
    box.appendChild(title);
    box.appendChild(body);
    if (detail) {
      var meta = document.createElement('p');
      meta.className = 'meta';
      meta.textContent = detail;
      box.appendChild(meta);
    }
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'button secondary';
    close.setAttribute('data-dismiss-request-error', '');
    close.textContent = r.getAttribute('data-dismiss') || '×';
    box.appendChild(close);
    r.textContent = '';
    r.appendChild(box);
  }

  document.addEventListener('htmx:beforeRequest', clear);
  document.addEventListener('htmx:sendError', function () { show('network'); });
  document.addEventListener('htmx:timeout', function () { show('network'); });
  document.addEventListener('htmx:responseError', function (e) {
    var r = region();
    if (r && !r.querySelector('.request-error-message')) {
      var xhr = e.detail && e.detail.xhr;
      show('failed', xhr ? 'HTTP ' + xhr.status : '');
    }
  });
  document.addEventListener('click', function (e) {
    var el = e.target instanceof Element ? e.target : null;
    if (el && el.closest('[data-dismiss-request-error]')) clear();
  });
})();
