// Live lists. Server-sent events (htmx's SSE extension) carry list items
// rendered on the server; instead of inserting them blindly, this puts each
// one in place by its id:
// - an item already on the page is replaced (a pending post turns published,
//   a queue item changed), so a page and a replay never show one twice;
// - an item marked data-gone is removed (handled by someone else); if the
//   reader was working inside it, a short notice takes its place instead;
// - a new item goes to the list named by its data-list (else the element
//   with sse-swap), at the start or end as that list's data-live says.
// A polite live region tells screen-reader users what changed.
(function () {
  'use strict';

  function announce(host, text) {
    var region = document.getElementById(host.getAttribute('data-live-region') || '');
    if (region && text) {
      region.textContent = '';
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function place(host, el) {
    var old = el.id ? document.getElementById(el.id) : null;
    if (el.hasAttribute('data-gone')) {
      if (!old) return '';
      if (old.contains(document.activeElement)) {
        var note = document.createElement(old.tagName);
        note.id = el.id + '-gone';
        note.className = 'notice';
        note.setAttribute('role', 'status');
        note.textContent = host.getAttribute('data-gone-message') || '';
        old.replaceWith(note);
      } else {
        old.remove();
      }
      return host.getAttribute('data-removed-message');
    }
    if (old) {
      if (old.contains(document.activeElement)) return '';
      old.replaceWith(el);
    } else {
      var list = document.getElementById(el.getAttribute('data-list') || '') || host;
      if (list.getAttribute('data-live') === 'prepend') list.prepend(el); else list.append(el);
      var empty = document.querySelector('[data-empty-for="' + list.id + '"]');
      if (empty) empty.remove();
    }
    htmx.process(el);
    return old ? '' : host.getAttribute('data-added-message');
  }

  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var host = e.target;
    if (!host.hasAttribute('data-live')) return;
    e.preventDefault();
    var tpl = document.createElement('template');
    tpl.innerHTML = e.detail.data;
    var said = '';
    Array.prototype.slice.call(tpl.content.children).forEach(function (el) {
      said = place(host, el) || said;
    });
    announce(host, said);
  });
})();
