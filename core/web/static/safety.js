// Safety on the phones and the console: the SOS button (a cancellable countdown, then a send
// that retries until the server has it), the provider's position reports while on a job, the
// customer's live view of the provider, "are you OK?" prompts and the console's live banner.
(function () {
  "use strict";

  function key() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : String(Date.now()) + Math.random().toString(16).slice(2);
  }

  // --- SOS ------------------------------------------------------------------------------
  document.querySelectorAll("[data-sos]").forEach(function (box) {
    var form = box.querySelector("form");
    var dialog = box.querySelector("[data-sos-countdown]");
    var count = box.querySelector("[data-sos-seconds]");
    var status = box.querySelector("[data-sos-status]");
    var seconds = parseInt(box.dataset.countdown || "5", 10);
    var timer = null, position = null;

    function send(attempt) {
      var body = {
        ticket: form.elements.ticket.value, booking_id: form.elements.booking_id.value,
        client_key: form.elements.client_key.value,
        lat: position ? position.latitude : "", lng: position ? position.longitude : ""
      };
      status.textContent = box.dataset.sending;
      fetch("/safety/sos", {
        method: "POST", credentials: "same-origin",
        headers: { "content-type": "application/json", "accept": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (response.status === 201) {
          return response.json().then(function (data) { window.location.assign(data.page); });
        }
        if (response.status === 401) { status.textContent = box.dataset.unknown; return; }
        throw new Error("HTTP " + response.status);
      }).catch(function () {
        // The network or the server failed: keep trying, the same key is the same SOS.
        status.textContent = box.dataset.retrying;
        window.setTimeout(function () { send(attempt + 1); }, Math.min(2000 * (attempt + 1), 10000));
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (timer) return;
      form.elements.client_key.value = key();
      var left = seconds;
      count.textContent = left;
      dialog.hidden = false;
      box.classList.add("sos-armed");
      if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(function (p) { position = p.coords; },
          function () {}, { enableHighAccuracy: true, timeout: seconds * 1000, maximumAge: 60000 });
      }
      timer = window.setInterval(function () {
        left -= 1;
        count.textContent = Math.max(left, 0);
        if (left <= 0) {
          window.clearInterval(timer);
          send(0);
        }
      }, 1000);
    });
    box.querySelector("[data-sos-cancel]").addEventListener("click", function () {
      window.clearInterval(timer);
      timer = null;
      dialog.hidden = true;
      box.classList.remove("sos-armed");
      status.textContent = box.dataset.cancelled;
    });
  });

  // --- the provider's position, while the job is en route or on site ----------------------
  var reporter = document.querySelector("[data-trail]");
  if (reporter && navigator.geolocation) {
    var last = 0;
    var prompt = document.querySelector("[data-check-prompt]");
    navigator.geolocation.watchPosition(function (p) {
      var now = Date.now();
      // Shared with the check-in button (job.js): while a watch runs, browsers answer a
      // one-off position request only when the position changes.
      window.doorstepPosition = { coords: p.coords, at: now };
      if (now - last < 30000) return;
      last = now;
      fetch(reporter.dataset.trail, {
        method: "POST", credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrftoken": reporter.dataset.csrf },
        body: JSON.stringify({ lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy })
      }).then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && data.checks && data.checks.length && prompt) {
            prompt.querySelector("form").action = "/safety/checks/" + data.checks[0].id + "/answer";
            prompt.hidden = false;
          }
        }).catch(function () {});
    }, function () { reporter.textContent = reporter.dataset.denied; },
    { enableHighAccuracy: true, maximumAge: 15000 });
  }

  // --- the customer's live view of the provider ----------------------------------------
  var live = document.querySelector("[data-live-position]");
  if (live) {
    var poll = function () {
      fetch(live.dataset.livePosition, { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          live.innerHTML = data.html;
          if (data.active) window.setTimeout(poll, 10000);
        }).catch(function () { window.setTimeout(poll, 20000); });
    };
    window.setTimeout(poll, 10000);
  }

  // --- the console's live banner ------------------------------------------------------
  var banner = document.querySelector("[data-safety-banner]");
  if (banner) {
    var text = banner.querySelector("[data-safety-text]");
    var link = banner.querySelector("a");
    var check = function () {
      fetch("/admin/safety/live", { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) return;
          banner.hidden = data.count === 0;
          if (data.count > 0) {
            text.textContent = banner.dataset.template.replace("%(n)s", data.count);
            link.href = "/admin/safety/" + data.incidents[0].id;
          }
          // On the incident list, a new incident shows in the list too, not only the banner.
          var list = document.querySelector("[data-incident-list]");
          if (list && data.incidents.some(function (i) {
            return list.dataset.incidentList.split(" ").indexOf(i.id) < 0;
          })) { window.location.reload(); }
        }).catch(function () {})
        .then(function () { window.setTimeout(check, 5000); });
    };
    check();
  }
})();
