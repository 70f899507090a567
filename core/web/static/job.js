// "I have arrived" sends where the phone is; the server checks it against the address.
(function () {
  "use strict";
  document.querySelectorAll("form[data-geolocate]").forEach(function (form) {
    var message = form.querySelector("[data-geo-message]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "1") return;
      event.preventDefault();
      if (!navigator.geolocation) { message.textContent = form.dataset.unsupported; return; }
      var send = function (position) {
        form.elements.lat.value = position.coords.latitude;
        form.elements.lng.value = position.coords.longitude;
        form.dataset.located = "1";
        form.submit();
      };
      // The page's position trail (safety.js) keeps the latest fix: use it while it is fresh,
      // since a one-off request waits for the next change while a watch is running.
      var known = window.doorstepPosition;
      if (known && Date.now() - known.at < 30000) { send(known); return; }
      message.textContent = form.dataset.locating;
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(send, function () {
        message.textContent = form.dataset.denied;
        button.disabled = false;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
    });
  });
})();
