// Search as you type: results under the search box while typing (debounced), arrow keys
// to move, Enter to open, Escape to close; "/" focuses the search box on every page.
// Without JavaScript the box is a plain form to /search.
(function () {
  "use strict";
  const input = document.querySelector(".bigsearch input[name=q]") || document.querySelector(".topsearch input[name=q]");
  if (!input) return;
  const form = input.form;
  const list = document.createElement("ul");
  list.className = "instant";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  form.appendChild(list);
  input.setAttribute("autocomplete", "off");
  input.setAttribute("aria-autocomplete", "list");

  let timer = null;
  let asked = 0;
  let active = -1;

  function close() { list.hidden = true; active = -1; }
  function items() { return list.querySelectorAll("li[data-href]"); }
  function highlight(i) {
    const all = items();
    all.forEach(function (li, j) { li.classList.toggle("active", j === i); li.setAttribute("aria-selected", j === i ? "true" : "false"); });
    active = i;
  }

  function show(hits, total, suggestion) {
    list.textContent = "";
    hits.forEach(function (h) {
      const li = document.createElement("li");
      li.dataset.href = "/cards/" + h.slug;
      li.setAttribute("role", "option");
      const title = document.createElement("span");
      title.className = "instant-title";
      title.textContent = h.title;
      const badge = document.createElement("span");
      badge.className = "badge badge-" + h.status;
      badge.textContent = h.status.replace("_", " ");
      const snippet = document.createElement("span");
      snippet.className = "instant-snippet";
      // Snippets are escaped by the server, with matches in <b>.
      snippet.innerHTML = h.snippet;
      li.appendChild(title);
      li.appendChild(badge);
      li.appendChild(snippet);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = li.dataset.href; });
      list.appendChild(li);
    });
    const more = document.createElement("li");
    more.className = "instant-more";
    more.textContent = total ? "All " + total + " results — press Enter" : "No cards match";
    list.appendChild(more);
    if (suggestion) {
      const fix = document.createElement("li");
      fix.className = "instant-more";
      fix.dataset.href = "/search?q=" + encodeURIComponent(suggestion);
      fix.textContent = "Did you mean " + suggestion + "?";
      fix.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = fix.dataset.href; });
      list.appendChild(fix);
    }
    list.hidden = false;
    active = -1;
  }

  function ask() {
    const q = input.value;
    if (!q.trim()) { close(); return; }
    const ticket = ++asked;
    fetch("/api/v1/search?instant=true&limit=8&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && ticket === asked) show(j.hits, j.total, j.suggestion); })
      .catch(function () {});
  }

  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 150); });
  input.addEventListener("keydown", function (e) {
    const all = items();
    if (e.key === "ArrowDown" && all.length) { e.preventDefault(); highlight(Math.min(active + 1, all.length - 1)); }
    else if (e.key === "ArrowUp" && all.length) { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); location.href = all[active].dataset.href; }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });

  document.addEventListener("keydown", function (e) {
    const t = e.target;
    const typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); input.focus(); input.select(); }
  });
})();
