// Live quote: as the customer answers, ask the server (the one place prices are computed).
(function () {
  "use strict";
  var form = document.getElementById("quote-form");
  if (!form) return;
  var locale = form.dataset.locale;
  var lang = locale.replace("_", "-");
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: form.dataset.currency });
  var timer = null;
  var touched = {};
  var seq = 0;
  var book = document.getElementById("quote-book");
  var priced = false;
  function bookable(ok) { priced = ok; if (book) book.disabled = !ok; }

  function pick(text) { return text[locale] || text.zh_CN || text.en || Object.values(text)[0] || ""; }
  function tier() { var c = form.querySelector("input[name=tier]:checked"); return c ? c.value : ""; }

  function showTier() {
    var t = tier();
    form.querySelectorAll(".tier-details").forEach(function (s) { s.hidden = s.dataset.tier !== t; });
    form.querySelectorAll(".field[data-only-tiers]").forEach(function (f) {
      var only = f.dataset.onlyTiers.trim();
      f.hidden = only !== "" && only.split(" ").indexOf(t) < 0;
    });
  }

  function payload() {
    var intake = {};
    form.querySelectorAll(".field:not([hidden]) [data-kind]").forEach(function (input) {
      var kind = input.dataset.kind;
      if (kind === "bool") { intake[input.name] = input.checked; return; }
      if (input.value === "") return;
      intake[input.name] = kind === "int" ? Number(input.value) : input.value;
    });
    var addons = Array.prototype.map.call(form.querySelectorAll("input[name=addon]:checked"), function (a) { return a.value; });
    var when = form.querySelector("#f-when").value;
    return {
      item: form.dataset.item, tier: tier(), intake: intake, addons: addons,
      when: when ? when + ":00" + form.dataset.utcOffset : null
    };
  }

  function clearErrors() { form.querySelectorAll("[data-error-for]").forEach(function (e) { e.textContent = ""; }); }

  function showProblems(problems) {
    var waiting = false;
    problems.forEach(function (p) {
      var name = p.field.replace(/^intake\./, "");
      // A question not answered yet is not a mistake: invite, do not scold.
      if (p.field.indexOf("intake.") === 0 && !touched[name]) { waiting = true; return; }
      var target = form.querySelector('[data-error-for="' + p.field + '"]') || form.querySelector('[data-error-for="*"]');
      target.textContent = p.reason;
    });
    if (waiting) form.querySelector('[data-error-for="*"]').textContent = form.dataset.hint;
    bookable(false);
    document.getElementById("quote-total").textContent = "—";
    document.getElementById("quote-lines").innerHTML = "";
    document.getElementById("quote-duration").textContent = "";
  }

  function showQuote(q) {
    var list = document.getElementById("quote-lines");
    list.innerHTML = "";
    q.lines.forEach(function (line) {
      var li = document.createElement("li");
      li.className = "quote-line quote-" + line.kind;
      var name = document.createElement("span"); name.textContent = pick(line.label);
      var amount = document.createElement("span"); amount.textContent = money.format(line.amountFen / 100);
      li.appendChild(name); li.appendChild(amount); list.appendChild(li);
    });
    document.getElementById("quote-total").textContent = q.totalText;
    var hours = Math.floor(q.durationMinutes / 60), mins = q.durationMinutes % 60;
    var time = (hours ? hours + (locale === "zh_CN" ? " 小时" : " h") : "") + (mins ? " " + mins + (locale === "zh_CN" ? " 分钟" : " min") : "");
    var duration = document.getElementById("quote-duration");
    duration.textContent = duration.dataset.template.replace("__TIME__", time.trim());
    bookable(true);
  }

  function unanswered() {
    return Array.prototype.some.call(
      form.querySelectorAll(".field:not([hidden]) [required]"),
      function (input) { return input.value === "" && !touched[input.name]; });
  }

  function refresh() {
    var mine = ++seq;
    if (unanswered()) {
      clearErrors();
      showProblems([]);
      form.querySelector('[data-error-for="*"]').textContent = form.dataset.hint;
      return;
    }
    form.setAttribute("aria-busy", "true");
    fetch("/api/v1/quote", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload()), credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (mine !== seq) return;
        clearErrors();
        if (res.ok) showQuote(res.body); else showProblems(res.body.problems || [{ field: "*", reason: res.body.detail }]);
      })
      .catch(function () { if (mine === seq) showProblems([{ field: "*", reason: "…" }]); })
      .finally(function () { if (mine === seq) form.removeAttribute("aria-busy"); });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 200); }
  // Booking goes on with the answers that priced; a half-answered form is priced first.
  form.addEventListener("submit", function (event) { if (!priced) { event.preventDefault(); refresh(); } });
  function touch(event) { if (event.target.name) touched[event.target.name] = true; }
  form.addEventListener("change", function (event) { touch(event); showTier(); schedule(); });
  form.addEventListener("input", function (event) { touch(event); schedule(); });
  showTier();
  refresh();
})();
