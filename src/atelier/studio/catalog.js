// catalog.js — owns what the studio knows from GET /v1/catalog: models, menus, output kind (raster/vector) and prices.

import { loadCatalog } from "./api.js";
import { fillSelect } from "./dom.js";

let catalog = null;

/** Loads the catalog once; every other function here reads it. */
export async function initCatalog() {
  catalog = await loadCatalog();
  return catalog;
}

export function getCatalog() {
  return catalog;
}

export function model(id) {
  return catalog.models.find((m) => m.id === id) || defaultModel();
}

export function defaultModel() {
  return catalog.models.find((m) => m.default) || catalog.models[0];
}

export function limits() {
  return catalog.limits;
}

/** Fills a <select> with the models (the default one selected). */
export function fillModelSelect(select) {
  fillSelect(
    select,
    catalog.models.map((m) => ({
      value: m.id,
      label: `${m.name} (${m.id})${m.deprecated ? " — deprecated" : ""}`,
    })),
    defaultModel().id,
  );
}

/** Fills the style select from the model's styles (its default style selected, or `keep` if the model has it). */
export function fillStyleSelect(select, m, keep) {
  const styles = Object.keys(m.styles);
  const chosen = styles.includes(keep) ? keep : m.default_style;
  fillSelect(select, styles.map((s) => ({ value: s, label: s })), chosen);
}

/** Fills the substyle select with "none" and the substyles of `style` for model `m`. */
export function fillSubstyleSelect(select, m, style, keep = "") {
  const substyles = m.styles[style] || [];
  const options = [{ value: "", label: "none" }, ...substyles.map((s) => ({ value: s, label: s }))];
  fillSelect(select, options, substyles.includes(keep) ? keep : "");
  select.disabled = substyles.length === 0;
}

/** Fills a size select with the model's sizes (its default size selected, or `keep` if it has it). */
export function fillSizeSelect(select, m, keep) {
  const chosen = m.sizes.includes(keep) ? keep : m.default_size;
  fillSelect(select, m.sizes.map((s) => ({ value: s, label: s.replace("x", " × ") })), chosen);
}

/**
 * Whether a request gives SVG: the model's output is vector, or it is "any" and the style
 * (for a custom style: its base style) is one of the vector styles.
 */
export function isVector(m, style) {
  if (m.output === "vector") return true;
  if (m.output === "raster") return false;
  return catalog.vector_styles.includes(style);
}

/** Units for a generation: per-image price × n, plus the upscale price × n. null when the model can't give that output. */
export function generationPrice({ modelId, style, n, upscale }) {
  const m = model(modelId);
  const kind = isVector(m, style) ? "vector" : "raster";
  const each = m.price[kind];
  if (each === undefined) return null;
  const extra = upscale && kind === "raster" ? catalog.upscale[upscale] || 0 : 0;
  return (each + extra) * n;
}

/** Units for a generative edit (imageToImage, inpaint, replaceBackground, generateBackground): per image × n. */
export function editPrice(endpoint, { modelId, style, n }) {
  const kind = isVector(model(modelId), style) ? "vector" : "raster";
  const each = catalog.edits[endpoint]?.[kind];
  return each === undefined ? null : each * n;
}

/** Units for a tool call (variateImage is per image). */
export function toolPrice(endpoint, n = 1) {
  const each = catalog.tools[endpoint];
  if (each === undefined) return null;
  return endpoint === "variateImage" ? each * n : each;
}

export function styleCreationPrice() {
  return catalog.style_creation;
}
