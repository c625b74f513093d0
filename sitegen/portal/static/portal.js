// The few things a page does in the browser; everything works without it, only less live.
"use strict";

// Live progress: events from the project's stream fetch the live part of the page again
// (a burst of events, one fetch). When the status changes, what the client may do changes
// too (ask for changes, approve): then the whole page is loaded again.
function followProject(live) {
  const status = live.querySelector("[data-status]");
  const pageStatus = status ? status.dataset.status : "";
  let timer = null;
  let busy = false;
  let again = false;
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const answer = await fetch(live.dataset.fragment, { credentials: "same-origin" });
      if (answer.ok) {
        const before = live.querySelector(".versions");
        live.innerHTML = await answer.text();
        const after = live.querySelector(".versions");
        const frame = document.querySelector("iframe.preview");
        // A new version is live: the preview in its frame shows it.
        if (frame && after && (!before || before.dataset.count !== after.dataset.count)) {
          frame.src = frame.src;
        }
        const now = live.querySelector("[data-status]");
        if (now && now.dataset.status !== pageStatus) { location.replace(location.pathname); return; }
      }
    } finally {
      busy = false;
    }
    if (again) { again = false; refresh(); }
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  function connect() {
    const source = new EventSource(live.dataset.events, { withCredentials: true });
    for (const kind of ["step", "status", "revision"]) source.addEventListener(kind, soon);
    source.onerror = () => {
      // Signed-in cookies are short-lived: reading the page renews them, then listen again.
      source.close();
      setTimeout(async () => { await refresh(); connect(); }, 3000);
    };
  }
  connect();
}

// Repeated groups: "Add another" copies the last row with the next index, empty.
function addRows(form) {
  for (const button of form.querySelectorAll("[data-add-row]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const group = button.closest(".rows");
      const rows = group.querySelectorAll("[data-row]");
      const last = rows[rows.length - 1];
      const copy = last.cloneNode(true);
      const name = group.dataset.group;
      const next = rows.length;
      const from = new RegExp("^" + name.replace(/\./g, "\\.") + "\\.\\d+\\.");
      const to = name + "." + next + ".";
      for (const el of copy.querySelectorAll("[name]")) {
        el.name = el.name.replace(from, to);
        if (el.type === "checkbox") el.checked = false; else el.value = "";
        el.removeAttribute("aria-invalid");
      }
      for (const el of copy.querySelectorAll("[id]")) el.id = el.id.replace(/-\d+-/, "-" + next + "-");
      for (const el of copy.querySelectorAll("[for]")) el.htmlFor = el.htmlFor.replace(/-\d+-/, "-" + next + "-");
      for (const el of copy.querySelectorAll(".error")) el.remove();
      const legend = copy.querySelector("legend");
      if (legend) legend.textContent = legend.textContent.replace(/\d+$/, String(next + 1));
      last.after(copy);
      const first = copy.querySelector("input, textarea");
      if (first) first.focus();
    });
  }
}

// The draft: every answer kept in this browser until the form is sent.
function keepDraft(form) {
  const key = "sitegen-draft-" + form.dataset.draft;
  const status = form.querySelector("[data-draft-status]");
  const button = form.querySelector("[data-save-draft]");
  function save(announce) {
    const values = [];
    for (const [name, value] of new FormData(form)) {
      if (name !== "csrf" && typeof value === "string") values.push([name, value]);
    }
    localStorage.setItem(key, JSON.stringify(values));
    if (announce && status) status.textContent = status.dataset.savedText;
  }
  if (form.dataset.fresh === "1") {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved) {
      const checked = new Set(saved.filter(([n]) => n === "pages").map(([, v]) => v));
      for (const [name, value] of saved) {
        const field = form.querySelector(`[name="${CSS.escape(name)}"]:not([type=checkbox])`);
        if (field && field.type !== "file") field.value = value;
      }
      for (const box of form.querySelectorAll('input[type=checkbox][name="pages"]')) box.checked = checked.has(box.value);
    }
  }
  if (button) { button.hidden = false; button.addEventListener("click", () => save(true)); }
  form.addEventListener("change", () => save(false));
  form.addEventListener("submit", () => save(false));
}

// A chosen image is shown before it is sent.
function previewImages(form) {
  for (const input of form.querySelectorAll("input[type=file][data-preview]")) {
    input.addEventListener("change", () => {
      let img = input.parentElement.querySelector("img");
      if (!img) { img = document.createElement("img"); input.after(img); }
      const file = input.files && input.files[0];
      img.alt = file ? file.name : "";
      img.src = file ? URL.createObjectURL(file) : "";
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const live = document.getElementById("live");
  if (live && live.dataset.events) followProject(live);
  for (const form of document.querySelectorAll("form[data-draft]")) {
    addRows(form); keepDraft(form); previewImages(form);
  }
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
