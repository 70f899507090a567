// A booking's status follows the provider without a reload: ask every few seconds and swap
// the status part in when the booking's version moved.
(function () {
  "use strict";
  var box = document.getElementById("booking-live");
  if (!box) return;
  var EVERY_MS = 4000;
  var version = box.dataset.version;

  function schedule() { if (box.dataset.final !== "1") setTimeout(tick, EVERY_MS); }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch(box.dataset.live, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || String(data.version) === version) return;
        version = String(data.version);
        box.innerHTML = data.html;
        box.dataset.version = version;
        box.dataset.final = data.final ? "1" : "0";
      })
      .catch(function () { /* offline for a moment: try again later */ })
      .finally(schedule);
  }
  schedule();
})();
