// generate.js — owns the Generate screen: its controls (filled from the catalog), the live price, and sending POST /v1/images/generations.

import { api } from "./api.js";
import * as catalog from "./catalog.js";
import { byId, el, hexToRgb, numberValue, showByteCount } from "./dom.js";
import { runJob } from "./jobs.js";
import { createLayoutEditor } from "./layout.js";

const PALETTE = ["#e4572e", "#29335c", "#f3a712", "#a8c686", "#669bbc", "#8e5572"]; // new colours cycle through these

let form;
let controls; // the form's elements by short name
let layout; // the text-layout editor
let customStyles = []; // [{id, style, ...}] from GET /v1/styles
let showResult = () => {};

/** Wires the Generate form. `onResult(request, response)` gets every successful answer. */
export function initGenerate({ onResult }) {
  showResult = onResult;
  form = byId("generate-form");
  controls = {
    prompt: byId("gen-prompt"),
    counter: byId("gen-prompt-bytes"),
    model: byId("gen-model"),
    customStyle: byId("gen-custom-style"),
    style: byId("gen-style"),
    substyle: byId("gen-substyle"),
    size: byId("gen-size"),
    n: byId("gen-n"),
    negative: byId("gen-negative"),
    artistic: byId("gen-artistic"),
    noText: byId("gen-no-text"),
    colors: byId("gen-colors"),
    backgroundOn: byId("gen-bg-on"),
    background: byId("gen-bg"),
    seed: byId("gen-seed"),
    format: byId("gen-format"),
    upscale: byId("gen-upscale"),
    keep: byId("gen-keep"),
    price: byId("gen-price"),
  };
  const maxN = catalog.limits().max_n;
  controls.n.max = String(maxN);
  layout = createLayoutEditor({
    canvas: byId("layout-canvas"),
    list: byId("layout-boxes"),
    addButton: byId("layout-add"),
    hint: byId("layout-hint"),
    maxItems: catalog.limits().max_text_layout_items,
  });

  catalog.fillModelSelect(controls.model);
  modelChanged();

  controls.model.addEventListener("change", modelChanged);
  controls.style.addEventListener("change", styleChanged);
  controls.size.addEventListener("change", sizeChanged);
  controls.customStyle.addEventListener("change", customStyleChanged);
  controls.backgroundOn.addEventListener("change", () => {
    controls.background.disabled = !controls.backgroundOn.checked;
  });
  byId("gen-color-add").addEventListener("click", () => addColor());
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    generate();
  });
}

/** The chosen model's entry in the catalog. */
function currentModel() {
  return catalog.model(controls.model.value);
}

function modelChanged() {
  const m = currentModel();
  catalog.fillStyleSelect(controls.style, m, controls.style.value);
  catalog.fillSubstyleSelect(controls.substyle, m, controls.style.value, controls.substyle.value);
  catalog.fillSizeSelect(controls.size, m, controls.size.value);
  layout.setEnabled(m.text_layout);
  byId("layout-group").disabled = !m.text_layout; // its Add box button and the boxes' inputs
  sizeChanged();
  customStyleChanged();
}

function styleChanged() {
  catalog.fillSubstyleSelect(controls.substyle, currentModel(), controls.style.value, controls.substyle.value);
  update();
}

function sizeChanged() {
  const [width, height] = controls.size.value.split("x").map(Number);
  if (width && height) layout.setAspect(width, height);
  update();
}

/** A custom style (style_id) replaces style and substyle: the request sends one or the other. */
function customStyleChanged() {
  const custom = controls.customStyle.value !== "";
  controls.style.disabled = custom;
  controls.substyle.disabled = custom || (currentModel().styles[controls.style.value] || []).length === 0;
  update();
}

/** The style that decides raster or vector: the chosen style, or the custom style's base style. */
function effectiveStyle() {
  const id = controls.customStyle.value;
  if (!id) return controls.style.value;
  return customStyles.find((s) => s.id === id)?.style || controls.style.value;
}

/** Refreshes everything derived from the controls: the byte counter, upscale availability, the price. */
function update() {
  const m = currentModel();
  showByteCount(controls.prompt, controls.counter, m.max_prompt_bytes);
  const vector = catalog.isVector(m, effectiveStyle());
  controls.upscale.disabled = vector; // upscaling is for raster results only
  if (vector) controls.upscale.value = "";
  const n = Number(controls.n.value) || 1;
  const price = catalog.generationPrice({ modelId: m.id, style: effectiveStyle(), n, upscale: controls.upscale.value });
  controls.price.textContent = price === null ? "n/a" : String(price);
}

function addColor(hex = PALETTE[controls.colors.children.length % PALETTE.length]) {
  const index = controls.colors.children.length + 1;
  const input = el("input", { type: "color", value: hex, "data-testid": "color", "aria-label": `Colour ${index}` });
  const item = el(
    "li",
    {},
    input,
    el("button", {
      type: "button",
      "aria-label": `Remove colour ${index}`,
      onclick: () => {
        item.remove();
        renumberColors();
        update();
        byId("gen-color-add").focus();
      },
    }, "Remove"),
  );
  controls.colors.append(item);
  input.focus();
  update();
}

function renumberColors() {
  [...controls.colors.children].forEach((item, i) => {
    item.querySelector("input").setAttribute("aria-label", `Colour ${i + 1}`);
    item.querySelector("button").setAttribute("aria-label", `Remove colour ${i + 1}`);
  });
}

/** The request body, from the controls; fields left at their defaults are left out. */
function buildRequest() {
  const m = currentModel();
  const body = { prompt: controls.prompt.value, model: m.id };
  if (controls.customStyle.value) {
    body.style_id = controls.customStyle.value;
  } else {
    body.style = controls.style.value;
    if (controls.substyle.value) body.substyle = controls.substyle.value;
  }
  body.size = controls.size.value;
  body.n = numberValue(controls.n) === "" ? 1 : numberValue(controls.n);
  if (controls.negative.value.trim()) body.negative_prompt = controls.negative.value;

  const extra = {};
  if (controls.artistic.value !== "") extra.artistic_level = Number(controls.artistic.value);
  const colors = [...controls.colors.querySelectorAll("input")].map((input) => ({ rgb: hexToRgb(input.value) }));
  if (colors.length) extra.colors = colors;
  if (controls.backgroundOn.checked) extra.background_color = { rgb: hexToRgb(controls.background.value) };
  if (controls.noText.checked) extra.no_text = true;
  if (Object.keys(extra).length) body.controls = extra;

  const seed = numberValue(controls.seed);
  if (seed !== "") body.random_seed = seed;
  if (m.text_layout) {
    const items = layout.items();
    if (items.length) body.text_layout = items;
  }
  body.response_format = "url";
  body.image_format = controls.format.value;
  if (controls.upscale.value && !controls.upscale.disabled) body.upscale = controls.upscale.value;
  if (controls.keep.checked) body.expire = false;
  return body;
}

async function generate() {
  const body = buildRequest();
  await runJob("Generating", form, async (signal) => {
    const answer = await api("images/generations", { method: "POST", json: body, signal });
    showResult({ endpoint: "generations", json: body }, answer);
    return answer;
  });
}

/** Fills the custom style select from GET /v1/styles (keeping the choice when it still exists). */
export function setCustomStyles(styles) {
  customStyles = styles;
  const chosen = controls.customStyle.value;
  controls.customStyle.replaceChildren(
    el("option", { value: "" }, "none"),
    ...styles.map((s) => el("option", { value: s.id }, `${s.style} · ${s.id.slice(0, 8)}`)),
  );
  controls.customStyle.value = styles.some((s) => s.id === chosen) ? chosen : "";
  customStyleChanged();
}

/** Selects a custom style as style_id ("use in generation" on the Styles screen). */
export function useCustomStyle(id) {
  controls.customStyle.value = id;
  customStyleChanged();
}
