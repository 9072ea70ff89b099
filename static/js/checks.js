// Content checks in the page editor: activating a finding's position
// selects exactly the words it is about in the title or body field and
// moves the focus there, so the editor sees what to fix. Without
// JavaScript the same link moves to the field, and the finding shows its
// line, column and the words marked in their context.
(function () {
  'use strict';

  document.addEventListener('click', function (e) {
    var link = e.target.closest('a.check-at[data-start]');
    if (!link) return;
    var field = document.getElementById(link.getAttribute('href').slice(1));
    if (!field || typeof field.setSelectionRange !== 'function') return;
    e.preventDefault();
    var start = parseInt(link.getAttribute('data-start'), 10);
    var end = parseInt(link.getAttribute('data-end'), 10);
    if (isNaN(start) || isNaN(end)) return;
    // After the event: a link activated with Enter would otherwise pass
    // the rest of the key press to the field and replace the selection.
    setTimeout(function () {
      field.focus();
      field.setSelectionRange(start, end);
      if (field.tagName === 'TEXTAREA') {
        // Bring the selected line into view: browsers do not scroll a
        // textarea to a selection set from script.
        var line = parseInt(link.getAttribute('data-line'), 10) || 1;
        var height = parseFloat(getComputedStyle(field).lineHeight) || 24;
        field.scrollTop = Math.max(0, (line - 3) * height);
      }
    }, 0);
  });
})();
