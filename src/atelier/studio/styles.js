// styles.js — owns the Styles screen: choosing 1–5 reference images (file input or drop), creating a style, listing and deleting styles.

import { ApiError, api } from "./api.js";
import * as catalog from "./catalog.js";
import { byId, el, fillSelect } from "./dom.js";
import { runJob, showError, showNotice } from "./jobs.js";

let picked = []; // [{file, url}]: the reference images chosen so far (url: a preview object URL)
let useStyle = () => {};
let stylesChanged = () => {};

/**
 * Wires the Styles screen. `onUse(id)` selects a style in Generate; `onStylesChanged(styles)`
 * gets the list whenever it is read again.
 */
export function initStyles({ onUse, onStylesChanged }) {
  useStyle = onUse;
  stylesChanged = onStylesChanged;
  const bases = catalog.getCatalog().custom_style_bases;
  fillSelect(byId("style-base"), bases.map((b) => ({ value: b, label: b })), bases[0]);
  byId("style-max").textContent = String(maxImages());
  byId("style-price").textContent = String(catalog.styleCreationPrice());

  const files = byId("style-files");
  files.addEventListener("change", () => {
    addFiles([...files.files]);
    files.value = ""; // choosing the same file again is a new change
  });
  const zone = byId("style-drop");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault(); // allows the drop
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    addFiles([...event.dataTransfer.files].filter((f) => f.type.startsWith("image/")));
  });
  byId("style-form").addEventListener("submit", (event) => {
    event.preventDefault();
    createStyle();
  });
}

function maxImages() {
  return catalog.limits().max_style_images;
}

function addFiles(files) {
  const room = maxImages() - picked.length;
  if (files.length > room) showNotice(`A style takes at most ${maxImages()} images; the first ${Math.max(room, 0)} of these were added.`);
  for (const file of files.slice(0, Math.max(room, 0))) picked.push({ file, url: URL.createObjectURL(file) });
  renderPicked();
}

function removePicked(index) {
  URL.revokeObjectURL(picked[index].url);
  picked.splice(index, 1);
  renderPicked();
  byId("style-files").focus();
}

function renderPicked() {
  byId("style-picked").replaceChildren(
    ...picked.map(({ file, url }, index) =>
      el(
        "li",
        {},
        el("img", { src: url, alt: "" }),
        el("span", { class: "file-name" }, file.name),
        el("button", { type: "button", onclick: () => removePicked(index), "aria-label": `Remove ${file.name}` }, "Remove"),
      ),
    ),
  );
}

async function createStyle() {
  const form = byId("style-form");
  if (picked.length === 0) {
    showError(new ApiError(0, { code: "missing_images", message: "Choose 1 to 5 reference images first.", param: "images" }), form);
    return;
  }
  const body = new FormData();
  body.append("style", byId("style-base").value);
  for (const { file } of picked) body.append("images", file, file.name);
  const created = await runJob("Creating style", form, (signal) => api("styles", { method: "POST", form: body, signal }));
  if (!created) return;
  for (const { url } of picked) URL.revokeObjectURL(url);
  picked = [];
  renderPicked();
  showNotice(`Style ${created.id} created (${created.style}, ${created.credits} units).`);
  await loadStyles();
}

async function deleteStyle(id) {
  const done = await runJob("Deleting style", byId("style-list"), async (signal) => {
    await api(`styles/${encodeURIComponent(id)}`, { method: "DELETE", signal });
    return true;
  });
  if (done) showNotice(`Style ${id} deleted.`);
  await loadStyles();
}

/** Reads GET /v1/styles and shows the list (also given to Generate's custom style select). */
export async function loadStyles() {
  let styles = [];
  try {
    styles = (await api("styles")).styles || [];
  } catch (error) {
    showError(error, byId("style-list"));
  }
  byId("styles-empty").hidden = styles.length > 0;
  byId("style-list").replaceChildren(...styles.map(styleItem));
  stylesChanged(styles);
}

function styleItem(style) {
  const created = style.creation_time ? new Date(style.creation_time).toLocaleString() : "";
  return el(
    "li",
    { "data-testid": "style-item", class: "style-item" },
    el(
      "div",
      {},
      el("strong", {}, style.style),
      created ? ` · ${created}` : "",
      style.images ? ` · ${style.images} image${style.images === 1 ? "" : "s"}` : "",
      el("br"),
      el("code", { class: "id" }, style.id),
    ),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", onclick: () => useStyle(style.id) }, "Use in generation"),
      el("button", { type: "button", onclick: () => deleteStyle(style.id), "aria-label": `Delete style ${style.id}` }, "Delete"),
    ),
  );
}

export function clearStyles() {
  for (const { url } of picked) URL.revokeObjectURL(url);
  picked = [];
  renderPicked();
  byId("style-list").replaceChildren();
  byId("styles-empty").hidden = false;
}
