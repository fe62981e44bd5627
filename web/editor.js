// Verity editor: progressive enhancement of the plain Markdown form.
// Toolbar, keyboard shortcuts, tab indentation, a live preview rendered by the server
// (POST /api/v1/render, the card page's own pipeline), a warning before leaving with
// unsaved changes, and a draft kept in this browser across reloads.
(function () {
  "use strict";
  const form = document.querySelector("form.editor");
  if (!form) return;
  const area = form.querySelector("textarea[name=body]");
  const panes = form.querySelector(".editor-panes");
  const previewPane = form.querySelector(".preview-pane");
  const preview = form.querySelector(".preview");
  const baseRev = form.querySelector("input[name=base_rev]").value;
  const draftKey = "verity-draft:" + form.dataset.card + ":" + baseRev;
  const original = area.value;
  let dirty = false;
  let submitting = false;

  // Posts made with the session cookie carry the page's CSRF token.
  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  // ---- editing helpers -------------------------------------------------------------
  function replaceSelection(before, after, placeholder) {
    const start = area.selectionStart, end = area.selectionEnd;
    const selected = area.value.slice(start, end) || placeholder || "";
    area.setRangeText(before + selected + after, start, end, "end");
    if (!area.value.slice(start, end).length && placeholder) {
      area.setSelectionRange(start + before.length, start + before.length + selected.length);
    }
    changed();
    area.focus();
  }

  function prefixLines(prefix) {
    const start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    const end = area.selectionEnd;
    const block = area.value.slice(start, end);
    const lines = block.split("\n").map(function (l, i) {
      return (typeof prefix === "function" ? prefix(i) : prefix) + l;
    });
    area.setRangeText(lines.join("\n"), start, end, "select");
    changed();
    area.focus();
  }

  const actions = {
    heading: function () { prefixLines("## "); },
    bold: function () { replaceSelection("**", "**", "bold text"); },
    italic: function () { replaceSelection("_", "_", "italic text"); },
    link: function () { replaceSelection("[", "](https://)", "link text"); },
    list: function () { prefixLines("- "); },
    numbered: function () { prefixLines(function (i) { return (i + 1) + ". "; }); },
    task: function () { prefixLines("- [ ] "); },
    code: function () {
      if (area.value.slice(area.selectionStart, area.selectionEnd).indexOf("\n") >= 0) {
        replaceSelection("```\n", "\n```", "");
      } else {
        replaceSelection("`", "`", "code");
      }
    },
    table: function () { replaceSelection("\n| Column | Column |\n| --- | --- |\n| ", " |  |\n", "cell"); },
    quote: function () { prefixLines("> "); },
  };

  const buttons = [
    ["heading", "H", "Heading"], ["bold", "B", "Bold (Ctrl+B)"], ["italic", "I", "Italic (Ctrl+I)"],
    ["link", "Link", "Link (Ctrl+K)"], ["list", "• List", "Bulleted list"], ["numbered", "1. List", "Numbered list"],
    ["task", "☐ Task", "Task list"], ["code", "</>", "Code"], ["table", "Table", "Table"], ["quote", "❝", "Quote"],
  ];
  const toolbar = document.createElement("div");
  toolbar.className = "toolbar";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Formatting");
  buttons.forEach(function (b) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = b[1];
    button.title = b[2];
    button.setAttribute("aria-label", b[2]);
    button.dataset.action = b[0];
    button.addEventListener("click", function () { actions[b[0]](); });
    toolbar.appendChild(button);
  });
  const spacer = document.createElement("span");
  spacer.className = "spacer";
  toolbar.appendChild(spacer);
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.textContent = "Preview";
  toggle.className = "preview-toggle";
  toggle.addEventListener("click", function () { showPreview(previewPane.hidden); });
  toolbar.appendChild(toggle);
  area.parentNode.insertBefore(toolbar, area);

  // ---- keyboard -----------------------------------------------------------------------
  let tabLeaves = false; // Escape, then Tab, moves focus on, as keyboard users expect
  area.addEventListener("keydown", function (e) {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key === "b") { e.preventDefault(); actions.bold(); }
    else if (mod && e.key === "i") { e.preventDefault(); actions.italic(); }
    else if (mod && e.key === "k") { e.preventDefault(); actions.link(); }
    else if (mod && e.key === "s") { e.preventDefault(); form.requestSubmit(); }
    else if (e.key === "Escape") { tabLeaves = true; }
    else if (e.key === "Tab" && !tabLeaves) {
      e.preventDefault();
      if (e.shiftKey) {
        const start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
        const block = area.value.slice(start, area.selectionEnd);
        area.setRangeText(block.replace(/^ {1,2}/gm, ""), start, area.selectionEnd, "select");
        changed();
      } else if (area.selectionStart !== area.selectionEnd) {
        prefixLines("  ");
      } else {
        area.setRangeText("  ", area.selectionStart, area.selectionEnd, "end");
        changed();
      }
    } else { tabLeaves = false; }
  });

  // ---- live preview ---------------------------------------------------------------------
  let timer = null;
  let sent = 0;
  function render() {
    const ticket = ++sent;
    fetch("/api/v1/render", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ body: area.value }),
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        // Sanitised by the server's Markdown pipeline; only the latest answer counts.
        if (j && ticket === sent) preview.innerHTML = j.html;
      })
      .catch(function () {});
  }
  function showPreview(on) {
    previewPane.hidden = !on;
    panes.classList.toggle("with-preview", on && window.innerWidth >= 1000);
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    if (on) render();
  }
  showPreview(window.innerWidth >= 1000);

  // ---- images: paste or drop to upload ----------------------------------------------------
  function upload(file) {
    const marker = "![Uploading " + (file.name || "image") + "…]()";
    area.setRangeText(marker, area.selectionStart, area.selectionEnd, "end");
    changed();
    fetch("/api/v1/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
      body: file,
    })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        const alt = (file.name || "image").replace(/[\[\]]/g, "");
        const text = res.ok ? "![" + alt + "](" + res.j.url + ")" : "<!-- upload failed: " + (res.j.error ? res.j.error.message : "error") + " -->";
        area.value = area.value.replace(marker, text);
        changed();
      })
      .catch(function () { area.value = area.value.replace(marker, "<!-- upload failed -->"); changed(); });
  }
  function filesOf(list) {
    return Array.prototype.filter.call(list || [], function (f) { return f.kind === undefined || f.kind === "file"; });
  }
  area.addEventListener("paste", function (e) {
    const files = Array.prototype.map.call(e.clipboardData ? e.clipboardData.items : [], function (i) { return i.kind === "file" ? i.getAsFile() : null; })
      .filter(Boolean);
    if (files.length) { e.preventDefault(); files.forEach(upload); }
  });
  area.addEventListener("dragover", function (e) { if (e.dataTransfer && e.dataTransfer.types.indexOf("Files") >= 0) e.preventDefault(); });
  area.addEventListener("drop", function (e) {
    const files = filesOf(e.dataTransfer && e.dataTransfer.files);
    if (files.length) { e.preventDefault(); files.forEach(upload); }
  });

  // ---- drafts and the unsaved-changes warning ----------------------------------------------
  function changed() {
    dirty = area.value !== original;
    if (!previewPane.hidden) {
      clearTimeout(timer);
      timer = setTimeout(render, 250);
    }
    try {
      if (dirty) localStorage.setItem(draftKey, JSON.stringify({ body: area.value, at: Date.now() }));
      else localStorage.removeItem(draftKey);
    } catch (_) { /* storage full or disabled: the form still works */ }
  }
  area.addEventListener("input", changed);
  form.addEventListener("input", function (e) { if (e.target !== area) dirty = true; });
  form.addEventListener("submit", function () {
    submitting = true;
    try { localStorage.removeItem(draftKey); } catch (_) {}
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty && !submitting) { e.preventDefault(); e.returnValue = ""; }
  });

  let saved = null;
  try { saved = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch (_) {}
  if (saved && saved.body !== area.value) {
    const note = document.createElement("p");
    note.className = "notice draft-notice";
    note.textContent = "You have an unsaved draft from " + new Date(saved.at).toLocaleString() + ". ";
    const restore = document.createElement("button");
    restore.type = "button";
    restore.className = "link";
    restore.textContent = "Restore it";
    restore.addEventListener("click", function () { area.value = saved.body; changed(); note.remove(); });
    const discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link";
    discard.textContent = "Discard";
    discard.addEventListener("click", function () { try { localStorage.removeItem(draftKey); } catch (_) {} note.remove(); });
    note.appendChild(restore);
    note.appendChild(document.createTextNode(" · "));
    note.appendChild(discard);
    form.insertBefore(note, form.firstChild);
  }
})();
