// The few things a page does in the browser; everything works without it, only less live.
"use strict";

// Live progress: events from the project's stream fetch the live part of the page again
// (a burst of events, one fetch). When the status changes, what the client may do changes
// too (ask for changes, approve): then the whole page is loaded again. A lost connection is
// tried again, later each time, from the last event seen.
function followProject(live) {
  const status = live.querySelector("[data-status]");
  const pageStatus = status ? status.dataset.status : "";
  let timer = null;
  let busy = false;
  let again = false;
  let lastId = "";
  let delay = 2000;
  async function refresh() {
    if (busy) { again = true; return true; }
    busy = true;
    try {
      const answer = await fetch(live.dataset.fragment, { credentials: "same-origin" });
      if (answer.redirected) { location.assign(answer.url); return false; }  // signed out
      if (!answer.ok) return true;
      const before = live.querySelector(".versions");
      live.innerHTML = await answer.text();
      const after = live.querySelector(".versions");
      const frame = document.querySelector("iframe.preview");
      // A new version is live: the preview in its frame shows it.
      if (frame && after && (!before || before.dataset.count !== after.dataset.count)) {
        frame.src = frame.src;
      }
      const now = live.querySelector("[data-status]");
      if (now && now.dataset.status !== pageStatus) { location.replace(location.pathname); return false; }
    } catch (error) {
      return true;  // the server is away for a moment: the next event or reconnect tries again
    } finally {
      busy = false;
    }
    if (again) { again = false; return refresh(); }
    return true;
  }
  function soon(event) {
    if (event.lastEventId) lastId = event.lastEventId;
    delay = 2000;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  function connect() {
    const url = live.dataset.events + (lastId ? "?after=" + encodeURIComponent(lastId) : "");
    const source = new EventSource(url, { withCredentials: true });
    for (const kind of ["step", "status", "revision"]) source.addEventListener(kind, soon);
    source.onerror = () => {
      // Signed-in cookies are short-lived: reading the page renews them, then listen again.
      source.close();
      setTimeout(async () => {
        if (await refresh()) connect();
      }, delay);
      delay = Math.min(delay * 2, 60000);
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
        el.removeAttribute("aria-describedby");
      }
      for (const el of copy.querySelectorAll(".invalid")) el.classList.remove("invalid");
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

// The draft: every answer kept in this browser until the form is sent (or its person signs
// out), rows added and boxes ticked included.
const DRAFTS = "sitegen-draft-";
function keepDraft(form) {
  const key = DRAFTS + form.dataset.draft;
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
  function field(name) {
    const found = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (found) return found;
    // A row added before the draft was kept: add rows to its group until the field exists.
    for (const group of form.querySelectorAll(".rows")) {
      if (!name.startsWith(group.dataset.group + ".")) continue;
      const add = group.querySelector("[data-add-row]");
      for (let i = 0; i < 20 && add && !form.querySelector(`[name="${CSS.escape(name)}"]`); i++) add.click();
    }
    return form.querySelector(`[name="${CSS.escape(name)}"]`);
  }
  if (form.dataset.fresh === "1") {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved) {
      const ticked = new Set(saved.map(([n, v]) => n + "=" + v));
      for (const [name, value] of saved) {
        const el = field(name);
        if (el && el.type !== "file" && el.type !== "checkbox") el.value = value;
      }
      for (const box of form.querySelectorAll("input[type=checkbox]")) {
        box.checked = ticked.has(box.name + "=" + (box.getAttribute("value") === null ? "on" : box.value));
      }
    }
  }
  if (button) { button.hidden = false; button.addEventListener("click", () => save(true)); }
  form.addEventListener("change", () => save(false));
  form.addEventListener("submit", () => save(false));
}

// Sent (the project's page says so) or signed out: the draft's personal data goes.
function forgetDrafts() {
  const sent = document.querySelector("[data-forget-draft]");
  if (sent) localStorage.removeItem(DRAFTS + sent.dataset.forgetDraft);
  for (const out of document.querySelectorAll("form[action='/portal/sign-out']")) {
    out.addEventListener("submit", () => {
      for (const name of Object.keys(localStorage)) if (name.startsWith(DRAFTS)) localStorage.removeItem(name);
    });
  }
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
  forgetDrafts();
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
});
