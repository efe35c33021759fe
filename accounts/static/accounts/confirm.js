// Forms that ask before they post: <form data-confirm="Expire this secret now?">. Inline
// onsubmit="..." handlers are refused by the Content-Security-Policy (script-src 'self'), so the
// question is asked from this file. Without JavaScript the form posts as it is.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
}());
