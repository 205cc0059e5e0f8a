// edit.js — owns the Edit & tools screen: the input image, the operation and its controls, the price, and sending the multipart request.

import { ApiError, api, sameOriginUrl } from "./api.js";
import * as catalog from "./catalog.js";
import { byId, fillSelect, numberValue, showByteCount } from "./dom.js";
import { runJob, showError } from "./jobs.js";
import { createMaskPainter } from "./mask.js";

/*
 * The operations, by endpoint name. kind: "edit" answers {data: [...]} at the edit price per
 * image; "variation" answers {data: [...]} at the variateImage price per image; "tool"
 * answers {image: ...} at a price per call. `controls` name the [data-control] groups shown.
 */
const TOOLS = {
  imageToImage: { kind: "edit", mask: false, controls: ["prompt", "strength", "model", "n", "seed", "format"] },
  inpaint: { kind: "edit", mask: true, controls: ["prompt", "model", "n", "seed", "format"] },
  replaceBackground: { kind: "edit", mask: false, controls: ["prompt", "model", "n", "seed", "format"] },
  generateBackground: { kind: "edit", mask: true, controls: ["prompt", "model", "n", "seed", "format"] },
  variateImage: { kind: "variation", mask: false, controls: ["size", "n", "seed", "format"] },
  eraseRegion: { kind: "tool", mask: true, controls: ["format"] },
  vectorize: { kind: "tool", mask: false, controls: ["vectorize"] },
  removeBackground: { kind: "tool", mask: false, controls: ["format"] },
  crispUpscale: { kind: "tool", mask: false, controls: ["format"] },
  creativeUpscale: { kind: "tool", mask: false, controls: ["format"] },
};

let form;
let c; // the form's controls by short name
let painter; // the mask painter
let input = null; // {blob, name, width, height, objectUrl}: the image the operation works on
let showResult = () => {};

/** Wires the Edit screen. `onResult(request, answer)` gets every successful answer. */
export function initEdit({ onResult }) {
  showResult = onResult;
  form = byId("edit-form");
  c = {
    upload: byId("edit-upload"),
    info: byId("edit-image-info"),
    stage: byId("edit-stage"),
    image: byId("edit-image"),
    brush: byId("brush-size"),
    brushValue: byId("brush-size-value"),
    erase: byId("mask-erase"),
    maskHint: byId("mask-hint"),
    tool: byId("edit-tool"),
    prompt: byId("edit-prompt"),
    counter: byId("edit-prompt-bytes"),
    strength: byId("edit-strength"),
    strengthValue: byId("edit-strength-value"),
    model: byId("edit-model"),
    style: byId("edit-style"),
    substyle: byId("edit-substyle"),
    size: byId("edit-size"),
    n: byId("edit-n"),
    seed: byId("edit-seed"),
    format: byId("edit-format"),
    keep: byId("edit-keep"),
    price: byId("edit-price"),
  };
  painter = createMaskPainter(byId("mask-canvas"), {
    brushSize: () => Number(c.brush.value),
    erasing: () => c.erase.getAttribute("aria-pressed") === "true",
  });
  c.n.max = String(catalog.limits().max_n);

  catalog.fillModelSelect(c.model);
  modelChanged();
  catalog.fillSizeSelect(c.size, catalog.defaultModel());
  const onOff = [{ value: "", label: "default" }, { value: "on", label: "on" }, { value: "off", label: "off" }];
  for (const select of form.querySelectorAll("select[data-option]")) {
    if (select.options.length === 0) fillSelect(select, onOff, "");
  }

  c.upload.addEventListener("change", () => {
    const file = c.upload.files[0];
    if (file) loadImage(file, file.name);
  });
  c.brush.addEventListener("input", () => {
    c.brushValue.textContent = c.brush.value;
  });
  c.erase.addEventListener("click", () => {
    const on = c.erase.getAttribute("aria-pressed") !== "true";
    c.erase.setAttribute("aria-pressed", String(on));
  });
  byId("mask-clear").addEventListener("click", () => painter.clear());
  c.strength.addEventListener("input", () => {
    c.strengthValue.textContent = c.strength.value;
  });
  c.model.addEventListener("change", modelChanged);
  c.style.addEventListener("change", () => {
    catalog.fillSubstyleSelect(c.substyle, currentModel(), c.style.value);
  });
  c.tool.addEventListener("change", toolChanged);
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  toolChanged();
}

function currentModel() {
  return catalog.model(c.model.value);
}

function modelChanged() {
  const m = currentModel();
  catalog.fillStyleSelect(c.style, m, c.style.value);
  catalog.fillSubstyleSelect(c.substyle, m, c.style.value, c.substyle.value);
  update();
}

/** Shows only the controls the chosen operation takes. */
function toolChanged() {
  const tool = TOOLS[c.tool.value];
  for (const group of form.querySelectorAll("[data-control]")) {
    group.hidden = !tool.controls.includes(group.dataset.control);
  }
  c.maskHint.textContent = tool.mask
    ? `${c.tool.value} uses the mask: paint over the image the area to change (white in the mask sent).`
    : `${c.tool.value} takes no mask; painting is kept for an operation that does.`;
  update();
}

function update() {
  const tool = TOOLS[c.tool.value];
  showByteCount(c.prompt, c.counter, currentModel().max_prompt_bytes);
  const n = Number(c.n.value) || 1;
  let price;
  if (tool.kind === "edit") price = catalog.editPrice(c.tool.value, { modelId: c.model.value, style: c.style.value, n });
  else price = catalog.toolPrice(c.tool.value, n);
  c.price.textContent = price === null ? "n/a" : String(price);
}

/**
 * Makes `blob` the input image: shows it with the mask canvas sized to its natural pixels.
 * An SVG (a vector result) is drawn to a PNG first, since the endpoints take PNG/JPG/WEBP.
 */
async function loadImage(blob, name) {
  try {
    if (blob.type === "image/svg+xml") {
      blob = await rasterize(blob);
      name = name.replace(/\.svg$/i, "") + ".png";
    }
    const objectUrl = URL.createObjectURL(blob);
    c.image.src = objectUrl;
    await c.image.decode();
    if (input) URL.revokeObjectURL(input.objectUrl);
    input = { blob, name, width: c.image.naturalWidth, height: c.image.naturalHeight, objectUrl };
    painter.resize(input.width, input.height);
    c.stage.hidden = false;
    c.info.textContent = `${name}: ${input.width} × ${input.height} px`;
  } catch {
    showError(new ApiError(0, { code: "unreadable_image", message: `${name} could not be read as an image.`, param: "image" }), form);
  }
}

/** Fetches a result (by its URL) and makes it the input image ("use as input" in the gallery). */
export async function loadFromUrl(url) {
  const name = new URL(url, location.href).pathname.split("/").pop() || "image.png";
  try {
    const response = await fetch(sameOriginUrl(url));
    if (!response.ok) throw new ApiError(response.status, { code: "image_unavailable", message: `The image could not be fetched (it may have expired).` });
    await loadImage(await response.blob(), name);
    c.upload.value = ""; // the file input no longer says what is shown
  } catch (error) {
    showError(error, form);
  }
}

async function rasterize(svgBlob) {
  const url = URL.createObjectURL(svgBlob);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth || 1024;
    canvas.height = image.naturalHeight || 1024;
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((png) => (png ? resolve(png) : reject(new Error("no PNG"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** The operation's fields (nested values stay objects; they are sent as JSON strings). */
function buildFields(name) {
  const tool = TOOLS[name];
  const shown = (control) => tool.controls.includes(control);
  const fields = {};
  if (shown("prompt")) fields.prompt = c.prompt.value;
  if (shown("strength")) fields.strength = Number(c.strength.value);
  if (shown("model")) {
    fields.model = c.model.value;
    fields.style = c.style.value;
    if (c.substyle.value) fields.substyle = c.substyle.value;
  }
  if (shown("size")) fields.size = c.size.value;
  if (shown("n")) fields.n = numberValue(c.n) === "" ? 1 : numberValue(c.n);
  if (shown("seed") && numberValue(c.seed) !== "") fields.random_seed = numberValue(c.seed);
  if (shown("vectorize")) {
    for (const option of form.querySelectorAll("[data-option]")) {
      const value = option.type === "number" ? numberValue(option) : option.value;
      if (value !== "") fields[option.dataset.option] = value;
    }
  }
  fields.response_format = "url";
  if (shown("format")) fields.image_format = c.format.value;
  if (c.keep.checked) fields.expire = false;
  return fields;
}

async function run() {
  const name = c.tool.value;
  const tool = TOOLS[name];
  if (!input) {
    showError(new ApiError(0, { code: "missing_image", message: "Choose an image first (upload one, or “Use as input” on a result).", param: "image" }), form);
    return;
  }
  const fields = buildFields(name);
  const files = [["image", input.name]];
  const body = new FormData();
  body.append("image", input.blob, input.name);
  if (tool.mask) {
    body.append("mask", await painter.toPng(), "mask.png");
    files.push(["mask", "mask.png"]);
  }
  for (const [key, value] of Object.entries(fields)) {
    body.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  const request = { endpoint: name, kind: tool.kind, fields, files };
  await runJob(`Running ${name}`, form, async (signal) => {
    const answer = await api(`images/${name}`, { method: "POST", form: body, signal });
    showResult(request, answer);
    return answer;
  });
}
