// Member exports: the browser downloads the file and stays on the page, so
// after the form is sent we ask the server how the export went (rows
// written, characters CP932 could not hold) until its report says it is
// done, and show it in the form's report region.
(function () {
  'use strict';

  function token() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }

  document.addEventListener('submit', function (e) {
    var form = e.target.closest('form[data-export-report]');
    if (!form) return;
    // Each export gets its own report: a fresh token for every submission.
    var input = form.querySelector('input[name=token]');
    input.value = token();
    var target = document.getElementById(form.getAttribute('data-export-report'));
    var url = '/staff/members/exports/' + input.value;
    var tries = 0;
    function ask() {
      htmx.ajax('GET', url, { target: target, swap: 'innerHTML' }).then(function () {
        // The report says what was exported: "nothing exported yet" goes.
        var none = document.getElementById('export-none');
        if (none && target.querySelector('.export-report')) none.remove();
        if (!target.querySelector('[data-export-done]') && ++tries < 600) {
          setTimeout(ask, 1000);
        }
      });
    }
    setTimeout(ask, 1000);
  });
})();
