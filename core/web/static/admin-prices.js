// The price editor on a phone: mark the prices changed so far, and keep a bar within reach
// that leads to the reason and the Save button at the end of a long list. Without this script
// the form works the same; only the marks and the bar are missing.
(function () {
  "use strict";
  const form = document.querySelector(".price-editor");
  const bar = document.getElementById("save-bar");
  if (!form || !bar) return;
  const count = bar.querySelector("[data-count]");
  const AMOUNT = /^\s*[¥￥]?\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/;

  function fen(text) {
    const found = AMOUNT.exec(text);
    if (!found) return null;
    return Number(found[1]) * 100 + Number((found[2] || "0").padEnd(2, "0"));
  }

  function refresh() {
    let changed = 0;
    for (const input of form.querySelectorAll("input[data-was]")) {
      const differs = fen(input.value) !== Number(input.dataset.was);
      input.closest(".price-row").classList.toggle("is-changed", differs);
      if (differs) changed += 1;
    }
    bar.hidden = changed === 0;
    count.textContent = count.dataset.template.replace("__N__", String(changed));
  }

  form.addEventListener("input", refresh);
  bar.querySelector("a").addEventListener("click", function (event) {
    event.preventDefault();
    const reason = document.getElementById("f-reason");
    reason.scrollIntoView({ block: "center" });
    reason.focus({ preventScroll: true });
  });
  refresh();
})();
