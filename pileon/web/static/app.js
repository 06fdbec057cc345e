// pileon review UI: reveal one shielded reply on request, keyboard shortcuts, bulk selection.
// No inline script anywhere (CSP script-src 'self'); text from the server is only ever put into
// the page with textContent, never as HTML.
"use strict";
(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  async function post(url, fields) {
    const body = new FormData();
    body.append("csrf", csrf());
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf() } });
    if (!response.ok) throw new Error("request failed: " + response.status);
    return response.json();
  }

  async function reveal(button) {
    const card = button.closest(".card");  // the button carries data-key too
    const box = card.querySelector('[data-role="text"]');
    const name = card.querySelector('[data-role="name"]');
    const raw = document.querySelector('[data-role="raw"]');
    if (button.getAttribute("aria-expanded") === "true") {
      box.replaceChildren(); box.hidden = true;
      const note = card.querySelector(".reordered-note");
      if (note) note.remove();
      if (raw && button.dataset.raw) { raw.replaceChildren(); raw.hidden = true; }
      if (name) { name.dataset.shown = ""; name.replaceChildren(name.originalContent); }
      card.querySelector(".blur-box").hidden = false;
      button.setAttribute("aria-expanded", "false");
      button.textContent = button.dataset.show;
      return;
    }
    const data = await post("/reveal", { key: button.dataset.key, raw: button.dataset.raw || "" });
    box.replaceChildren();
    for (const segment of data.segments) {
      if (segment.category) {
        const mark = document.createElement("mark");
        mark.textContent = segment.text;
        box.appendChild(mark);
      } else {
        box.appendChild(document.createTextNode(segment.text));
      }
    }
    box.hidden = false;
    if (data.reordered && button.dataset.reordered) {
      const note = document.createElement("p");
      note.className = "cw small reordered-note";
      note.textContent = button.dataset.reordered;
      box.after(note);
    }
    card.querySelector(".blur-box").hidden = true;
    if (name) {
      name.originalContent = name.originalContent || name.firstElementChild.cloneNode(true);
      const who = document.createElement("bdi");
      who.textContent = data.author || "?";
      name.replaceChildren(who);
    }
    if (raw && data.raw !== undefined) { raw.textContent = data.raw; raw.hidden = false; }
    button.setAttribute("aria-expanded", "true");
    button.textContent = button.dataset.hide;
    box.setAttribute("tabindex", "-1");
    box.focus();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button.reveal");
    if (button) { event.preventDefault(); reveal(button).catch(() => {}); }
  });

  // Language switch submits itself when JavaScript runs; the button stays for keyboard users.
  const langSelect = document.getElementById("lang-select");
  if (langSelect) langSelect.addEventListener("change", () => langSelect.form.submit());

  const selectAll = document.querySelector(".select-all");
  if (selectAll) selectAll.addEventListener("change", () => {
    for (const box of document.querySelectorAll("input.select")) box.checked = selectAll.checked;
  });

  // Keyboard, the same on every page: j/k move, x selects, s/e/r/a move to a folder, u undoes,
  // o opens. After an action the page comes back with ?focus=<key of the next reply> (or
  // "decision" on a reply's own page) and the result is read out from an aria-live region.
  const cards = () => Array.from(document.querySelectorAll("article.card[tabindex][data-key]"));
  let current = -1;
  function focusCard(index) {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((c) => c.classList.remove("focused"));
    all[current].classList.add("focused");
    all[current].focus();
  }
  document.addEventListener("focusin", function (event) {
    const card = event.target.closest && event.target.closest("article.card[tabindex][data-key]");
    if (!card) return;
    const index = cards().indexOf(card);
    if (index >= 0 && index !== current) {
      cards().forEach((c) => c.classList.remove("focused"));
      current = index;
      card.classList.add("focused");
    }
  });
  function here() {
    const url = new URL(window.location.href);
    for (const name of ["done", "n", "did", "focus", "undone"]) url.searchParams.delete(name);
    return url.pathname + url.search;
  }
  // The reply that should get the focus once `moving` have left the list.
  function nextKey(moving) {
    const all = cards();
    const gone = new Set(moving);
    let last = -1;
    all.forEach((c, i) => { if (gone.has(c.dataset.key)) last = i; });
    for (let i = last + 1; i < all.length; i++) if (!gone.has(all[i].dataset.key)) return all[i].dataset.key;
    for (let i = last - 1; i >= 0; i--) if (!gone.has(all[i].dataset.key)) return all[i].dataset.key;
    return "";
  }
  function submitDecision(keys, action, focus, back) {
    const form = document.createElement("form");
    form.method = "post"; form.action = "/actions"; form.hidden = true;
    const add = (name, value) => {
      const input = document.createElement("input");
      input.type = "hidden"; input.name = name; input.value = value;
      form.appendChild(input);
    };
    add("csrf", csrf());
    for (const key of keys) add("key", key);
    add("action", action); add("back", back || here()); add("focus", focus);
    document.body.appendChild(form);
    form.submit();
  }
  const folderKeys = { s: "support", e: "inbox", r: "review", a: "shielded" };
  function moveTo(folder) {
    const post = document.getElementById("decide-form");
    if (post) {  // a reply's own page: this reply
      const key = post.querySelector('input[name="key"]').value;
      if (!post.querySelector('option[value="move:' + folder + '"]')) return;  // already there
      submitDecision([key], "move:" + folder, "decision", here() + "#decision");
      return;
    }
    let keys = Array.from(document.querySelectorAll("input.select:checked")).map((b) => b.value);
    if (!keys.length) {
      const card = cards()[current];
      if (!card) return;
      if (card.classList.contains("folder-" + folder)) return;  // already in that folder
      keys = [card.dataset.key];
    }
    submitDecision(keys, "move:" + folder, nextKey(keys));
  }
  // A bulk form sent with its own button also brings the focus back to the list.
  const bulk = document.getElementById("bulk");
  if (bulk) bulk.addEventListener("submit", function () {
    const keys = bulk.querySelector('select[name="scope"]').value === "selected"
      ? Array.from(document.querySelectorAll("input.select:checked")).map((b) => b.value)
      : cards().map((c) => c.dataset.key);
    bulk.querySelector('input[name="focus"]').value = nextKey(keys);
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea", "button", "summary"].includes(tag) || event.target.isContentEditable) return;
    const key = event.key;
    if (key === "j") { focusCard(current + 1); event.preventDefault(); }
    else if (key === "k") { focusCard(current - 1); event.preventDefault(); }
    else if (key === "x") {
      const card = cards()[current];
      const box = card && card.querySelector("input.select");
      if (box) { box.checked = !box.checked; event.preventDefault(); }
    } else if (key in folderKeys) { moveTo(folderKeys[key]); event.preventDefault(); }
    else if (key === "u") {
      const undo = document.getElementById("undo-form");
      if (undo) { undo.submit(); event.preventDefault(); }
    } else if (key === "o" || key === "Enter") {
      const card = cards()[current];
      const link = card && card.querySelector("a.open");
      if (link && event.target === card) { link.click(); event.preventDefault(); }
    }
  });

  // Back from an action: focus where the user was, and say what happened.
  const params = new URL(window.location.href).searchParams;
  const focus = params.get("focus");
  const notice = document.getElementById("notice");
  let target = null;
  if (focus === "decision") {
    target = document.getElementById("decision");
    if (target && !target.textContent.trim()) target = null;
  }
  else if (focus) {
    const index = cards().findIndex((c) => c.dataset.key === focus);
    if (index >= 0) { focusCard(index); target = cards()[index]; }
  }
  if (!target && notice) target = notice;
  if (target && document.activeElement !== target) target.focus();
  const live = document.getElementById("live");
  const said = document.querySelector("#notice .notice-text, #decision .decided");
  if (live && said && (params.has("done") || params.has("undone"))) {
    // Filled after load: screen readers announce a change of a live region, not its first state.
    setTimeout(() => { live.textContent = said.textContent.trim(); }, 150);
  }
})();
