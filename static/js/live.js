// Live lists. Server-sent events (htmx's SSE extension) carry list items
// rendered on the server; instead of inserting them blindly, this puts each
// one in place by its id:
// - an item already in its list is replaced (a pending post turns
//   published, a queue item changed), so a page and a replay never show one
//   twice; an item found in another list (the author's waiting topics, the
//   moderators' open items) moves to the list it now belongs to;
// - an item marked data-gone is removed (handled by someone else); if the
//   reader was working inside it, a short notice takes its place instead,
//   and if the reader's own decision is on its way, the answer to it does;
// - a new item goes to the list named by its data-list (else the element
//   with sse-swap), at the start or end as that list's data-live says.
// A polite live region tells screen-reader users what changed, and a list's
// "nothing here yet" line goes once the list has items.
(function () {
  'use strict';

  function announce(host, text) {
    var region = document.getElementById(host.getAttribute('data-live-region') || '');
    if (region && text) {
      region.textContent = '';
      window.setTimeout(function () { region.textContent = text; }, 50);
    }
  }

  function tidyEmpty(list) {
    if (!list || !list.id || !list.firstElementChild) return;
    var empty = document.querySelector('[data-empty-for="' + list.id + '"]');
    if (empty) empty.remove();
  }

  function busy(el) {
    return el.classList.contains('htmx-request') || el.querySelector('.htmx-request') !== null;
  }

  function remove(host, old) {
    if (busy(old)) return '';
    if (old.contains(document.activeElement)) {
      var note = document.createElement(old.tagName);
      var text = document.createElement('p');
      text.setAttribute('role', 'status');
      text.textContent = host.getAttribute('data-gone-message') || '';
      note.id = old.id + '-gone';
      note.className = 'notice';
      note.appendChild(text);
      old.replaceWith(note);
    } else {
      old.remove();
    }
    return host.getAttribute('data-removed-message');
  }

  function place(host, el) {
    var old = el.id ? document.getElementById(el.id) : null;
    if (el.hasAttribute('data-gone')) return old ? remove(host, old) : '';
    var list = document.getElementById(el.getAttribute('data-list') || '') || host;
    if (old && old.parentElement === list) {
      if (busy(old) || old.contains(document.activeElement)) return '';
      old.replaceWith(el);
    } else {
      if (old) {
        if (busy(old)) return '';
        old.remove();
      }
      if (list.getAttribute('data-live') === 'prepend') list.prepend(el); else list.append(el);
      tidyEmpty(list);
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

  // The author's own new post arrives out of band in the answer to the form.
  document.addEventListener('htmx:oobAfterSwap', function (e) {
    tidyEmpty(e.detail.target);
  });
})();
