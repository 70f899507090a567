// The book step: a new address or day asks for that day's times; a time asks who can come.
// The server renders the choices (the one place the rules live); this swaps them in place.
(function () {
  "use strict";
  var form = document.getElementById("book-form");
  if (!form) return;
  var box = document.getElementById("book-choices");
  var seq = 0;

  function query(changed) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key === "_csrf_token") return;
      if ((changed === "address" || changed === "day") && (key === "start" || key === "provider")) return;
      if (changed === "start" && key === "provider") return;
      params.append(key, value);
    });
    return params;
  }

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    if (name !== "address" && name !== "day" && name !== "start") return;
    var params = query(name);
    var mine = ++seq;
    history.replaceState(null, "", form.dataset.refresh + "?" + params.toString());
    params.set("partial", "1");
    box.setAttribute("aria-busy", "true");
    fetch(form.dataset.refresh + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.text(); })
      .then(function (html) {
        if (mine !== seq) return;
        box.innerHTML = html;
        var chosen = box.querySelector('input[name="' + name + '"]:checked');
        if (chosen) chosen.focus({ preventScroll: true });
        var next = name === "start" ? box.querySelector("#book-provider") : box.querySelector(".bk-slots");
        if (next && next.scrollIntoView) next.scrollIntoView({ block: "nearest", behavior: "smooth" });
      })
      .catch(function () { if (mine === seq) window.location.assign(form.dataset.refresh + "?" + query(name).toString()); })
      .finally(function () { if (mine === seq) box.removeAttribute("aria-busy"); });
  });
})();
