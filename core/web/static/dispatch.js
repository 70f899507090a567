// The dispatcher's plan and insert buttons. Planning takes seconds (the solver's time budget),
// so the form is sent in the background: the button is disabled at once (no second plan by a
// double click), a spinner and a progress bar over the expected time show, and the board loads
// again with the new plan when the answer comes. Without script the form posts as usual.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-busy-form]");

  function idle(form, message) {
    form.dataset.busy = "";
    clearInterval(parseInt(form.dataset.timer || "0", 10));
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = false;
      if (button.dataset.idleText) button.textContent = button.dataset.idleText;
    }
    var box = form.querySelector(".dp-progress");
    if (box) box.hidden = true;
    var alert = form.querySelector(".dp-failed");
    if (message) {
      if (!alert) {
        alert = document.createElement("p");
        alert.className = "form-alert dp-failed";
        alert.setAttribute("role", "alert");
        form.appendChild(alert);
      }
      alert.textContent = message;
    } else if (alert) {
      alert.remove();
    }
  }

  function busy(form) {
    form.dataset.busy = "1";
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.dataset.idleText = button.textContent;
      button.textContent = button.dataset.busyText || button.textContent;
      button.disabled = true;
    }
    var box = form.querySelector(".dp-progress");
    if (!box) return;
    box.hidden = false;
    var bar = box.querySelector("progress");
    var text = box.querySelector(".dp-progress-text");
    var expected = Math.max(1, parseFloat(form.dataset.seconds || "5")) * 1000 + 1500;
    var began = Date.now();
    form.dataset.timer = String(setInterval(function () {
      var share = (Date.now() - began) / expected;
      if (bar) bar.value = Math.min(95, Math.round(share * 100));
      if (share >= 1 && text && text.dataset.still) text.textContent = text.dataset.still;
    }, 200));
  }

  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.dataset.busy === "1") return;
      var body = new FormData(form);
      busy(form);
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.text().then(function (html) {
            // Done: the server sent the board back (after its redirect); show it at its address.
            if (response.ok && response.redirected) {
              window.location.assign(response.url);
              return;
            }
            var page = new DOMParser().parseFromString(html, "text/html");
            var said = page.querySelector(".form-alert");
            idle(form, said ? said.textContent.trim() : form.dataset.failed || "");
          });
        })
        .catch(function () { idle(form, form.dataset.failed || ""); });
    });
  });
  // Back to this page from the history: the buttons work again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(forms, function (form) {
      if (form.dataset.busy === "1") idle(form, "");
    });
  });
})();
