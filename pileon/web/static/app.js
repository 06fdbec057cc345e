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

  // Keyboard: j/k move, x selects, s/e/r/a move to a folder, u undoes, o opens.
  const cards = () => Array.from(document.querySelectorAll("article.card[tabindex]"));
  let current = -1;
  function focusCard(index) {
    const all = cards();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((c) => c.classList.remove("focused"));
    all[current].classList.add("focused");
    all[current].focus();
  }
  const folderKeys = { s: "support", e: "inbox", r: "review", a: "shielded" };
  function moveTo(folder) {
    const form = document.getElementById("bulk");
    if (!form) return;
    let selected = document.querySelectorAll("input.select:checked");
    if (!selected.length) {
      const card = cards()[current];
      if (!card) return;
      card.querySelector("input.select").checked = true;
    }
    form.querySelector('select[name="scope"]').value = "selected";
    const action = form.querySelector('select[name="action"]');
    let option = action.querySelector('option[value="move:' + folder + '"]');
    if (!option) return;  // already in that folder
    action.value = option.value;
    form.submit();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea", "button"].includes(tag) && event.key !== "Escape") return;
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
})();
