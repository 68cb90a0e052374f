/* Submit the language form as soon as a language is picked (the page's only control that
 * acts on change). A file, not an inline onchange="": the Content-Security-Policy allows
 * scripts from our own static files only. Without scripts, the <noscript> button submits. */
(function () {
  "use strict";
  var select = document.getElementById("lang-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();
