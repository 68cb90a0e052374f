// Registry import: upload with a progress bar (XMLHttpRequest reports upload progress; fetch
// does not), then a busy indicator while the server checks the rows or writes the import.
// Without JavaScript the forms post normally.
(function () {
  "use strict";

  function show(element, text) {
    element.hidden = false;
    if (text !== undefined) element.textContent = text;
  }

  var form = document.getElementById("import-form");
  if (form) {
    var progress = form.querySelector(".upload-progress");
    var bar = form.querySelector("progress");
    var status = form.querySelector(".upload-status");
    var errors = form.querySelector(".js-errors");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      var input = form.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      var limit = parseInt(form.dataset.maxBytes, 10);
      if (file && limit && file.size > limit) {
        event.preventDefault();
        show(errors, form.dataset.tooLarge);
        return;
      }
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      errors.hidden = true;
      button.disabled = true;
      show(progress);
      bar.value = 0;
      status.textContent = "0%";

      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        status.textContent = percent + "%";
        if (e.loaded === e.total) {
          bar.removeAttribute("value"); // indeterminate while the server checks the rows
          status.textContent = form.dataset.checking;
        }
      });
      request.addEventListener("load", function () {
        var body = null;
        try { body = JSON.parse(request.responseText); } catch (ignored) { body = null; }
        if (request.status === 200 && body && body.redirect) {
          window.location.assign(body.redirect);
          return;
        }
        button.disabled = false;
        progress.hidden = true;
        show(errors, body && body.errors ? body.errors.join(" ") : form.dataset.failed);
      });
      request.addEventListener("error", function () {
        button.disabled = false;
        progress.hidden = true;
        show(errors, form.dataset.failed);
      });
      request.send(new FormData(form));
    });
  }

  var confirm = document.getElementById("confirm-form");
  if (confirm) {
    confirm.addEventListener("submit", function () {
      var box = confirm.querySelector(".upload-progress");
      show(box);
      box.querySelector(".upload-status").textContent = confirm.dataset.working;
      // Disable after the submit has been taken, or the button's value would not be sent.
      window.setTimeout(function () {
        confirm.querySelector("button[type=submit]").disabled = true;
      }, 0);
    });
  }
})();
