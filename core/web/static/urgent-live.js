// The urgent search follows the cascade without a reload: ask every two seconds (every ten
// once a provider has accepted), swap the live part in, and count the offer's seconds down.
(function () {
  "use strict";
  var box = document.getElementById("urgent-live");
  if (!box) return;
  var SEARCHING_MS = 2000;
  var FOUND_MS = 10000;
  var ticker = null;

  function countdown() {
    if (ticker) clearInterval(ticker);
    var el = box.querySelector(".ur-countdown");
    if (!el) return;
    var left = parseInt(el.dataset.seconds, 10) || 0;
    var until = Date.now() + left * 1000;
    ticker = setInterval(function () {
      var now = Math.max(0, Math.round((until - Date.now()) / 1000));
      el.textContent = String(now);
      if (now === 0) clearInterval(ticker);
    }, 250);
  }

  function schedule() {
    if (box.dataset.final === "1") {
      var stop = document.getElementById("urgent-stop");
      if (stop) stop.hidden = true;
      return;
    }
    setTimeout(tick, box.dataset.phase === "found" ? FOUND_MS : SEARCHING_MS);
  }

  function tick() {
    if (document.hidden) { schedule(); return; }
    fetch(box.dataset.live, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        box.innerHTML = data.html;
        box.dataset.final = data.final ? "1" : "0";
        box.dataset.phase = data.phase;
        if (data.phase !== "searching") {
          var stop = document.getElementById("urgent-stop");
          if (stop) stop.hidden = true;
        }
        countdown();
      })
      .catch(function () { /* offline for a moment: try again later */ })
      .finally(schedule);
  }
  countdown();
  schedule();
})();
