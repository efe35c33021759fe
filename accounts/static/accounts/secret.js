// The shown-once tenant secret: a "Copy" button (no inline script: the CSP allows scripts from
// this origin only). The button stays hidden without JavaScript; the secret can still be selected.
(function () {
  "use strict";

  function copyBySelection(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    return copied;
  }

  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      var done = function (ok) {
        if (status) {
          status.textContent = ok ? "Copied." : "Select the secret and copy it by hand.";
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(copyBySelection(target)); });
      } else {
        done(copyBySelection(target));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    for (var i = 0; i < buttons.length; i += 1) {
      setUp(buttons[i]);
    }
  });
}());
