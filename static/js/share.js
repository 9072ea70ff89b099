// Sharing and copying, as progressive enhancement of plain links:
// - [data-share-url]: the phone's share sheet (Web Share API); its list item
//   stays hidden where the browser has none;
// - [data-copy] (a link to the page itself): copies the address instead
//   of following it, where the clipboard is available;
// - [data-copy-from]: a hidden button that copies the value of an input.
// A status line nearby says it was copied.
(function () {
  'use strict';

  function say(el, text) {
    var box = el.closest('section, .field, div');
    var status = box && box.querySelector('[data-share-status]');
    if (status) {
      status.textContent = '';
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }

  function copy(el, text) {
    navigator.clipboard.writeText(text).then(function () {
      say(el, el.getAttribute('data-copied') || '');
    });
  }

  function init(root) {
    if (navigator.share) {
      root.querySelectorAll('[data-share-item]').forEach(function (li) { li.hidden = false; });
    }
    if (navigator.clipboard) {
      root.querySelectorAll('[data-copy-from]').forEach(function (b) { b.hidden = false; });
    }
  }

  document.addEventListener('click', function (e) {
    var t = e.target.closest('[data-share-url], [data-copy], [data-copy-from]');
    if (!t) return;
    if (t.hasAttribute('data-share-url') && navigator.share) {
      navigator.share({ title: t.getAttribute('data-share-title') || document.title, url: t.getAttribute('data-share-url') })
        .catch(function () { /* dismissed */ });
    } else if (t.hasAttribute('data-copy') && navigator.clipboard) {
      e.preventDefault();
      copy(t, t.getAttribute('data-copy'));
    } else if (t.hasAttribute('data-copy-from') && navigator.clipboard) {
      var input = document.getElementById(t.getAttribute('data-copy-from'));
      if (input) copy(t, input.value);
    }
  });

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { init(document); });
  } else {
    init(document);
  }
})();
