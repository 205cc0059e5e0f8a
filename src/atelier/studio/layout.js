// layout.js — owns the text-layout editor: a canvas with the image's aspect ratio where boxes are dragged, and the list of boxes with their words.

import { el } from "./dom.js";

const LONG_SIDE = 400; // the canvas's longer side in canvas pixels
const MIN_SIDE = 0.02; // a drag smaller than this (normalised) is a click, not a box

/**
 * The editor over `canvas` (drag to add a box), `list` (an <ol> of the boxes: text input and
 * Delete) and `addButton` (adds a box without a pointer). Boxes are kept in normalised
 * coordinates (0..1 of the width and height), which is what the API takes.
 */
export function createLayoutEditor({ canvas, list, addButton, hint, maxItems = 64, onChange = () => {} }) {
  const context = canvas.getContext("2d");
  let boxes = []; // {x0, y0, x1, y1, text}, x0 < x1 and y0 < y1
  let draft = null; // the box being dragged
  let enabled = true;

  function setAspect(width, height) {
    const scale = LONG_SIDE / Math.max(width, height);
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.style.maxWidth = `${canvas.width}px`;
    draw();
  }

  function setEnabled(on) {
    enabled = on;
    canvas.classList.toggle("disabled", !on);
    canvas.setAttribute("aria-disabled", String(!on));
    hint.textContent = on
      ? "Drag on the canvas to place a box (or press “Add box”), then type its word."
      : "This model takes no text layout.";
    draw();
  }

  /** The boxes that have a word, as the API's text_layout items (four corners clockwise from top-left). */
  function items() {
    const round = (v) => Math.round(v * 10000) / 10000;
    return boxes
      .filter((box) => box.text.trim() !== "")
      .map(({ x0, y0, x1, y1, text }) => ({
        text,
        bbox: [[x0, y0], [x1, y0], [x1, y1], [x0, y1]].map(([x, y]) => [round(x), round(y)]),
      }));
  }

  function addBox(box) {
    if (boxes.length >= maxItems) return;
    boxes.push({ ...box, text: "" });
    renderList();
    draw();
    list.querySelector("li:last-child input")?.focus();
    onChange();
  }

  function removeBox(index) {
    boxes.splice(index, 1);
    renderList();
    draw();
    onChange();
  }

  function renderList() {
    list.replaceChildren(
      ...boxes.map((box, index) => {
        const input = el("input", {
          type: "text",
          value: box.text,
          "data-testid": "layout-text",
          "aria-label": `Text of box ${index + 1}`,
          placeholder: "word",
          oninput: () => {
            box.text = input.value;
            draw();
            onChange();
          },
        });
        return el(
          "li",
          {},
          el("span", { class: "box-name" }, `Box ${index + 1}`),
          input,
          el("button", { type: "button", onclick: () => removeBox(index), "aria-label": `Delete box ${index + 1}` }, "Delete"),
        );
      }),
    );
  }

  function draw() {
    const { width, height } = canvas;
    context.clearRect(0, 0, width, height);
    context.fillStyle = enabled ? "#ffffff" : "#eeeeee";
    context.fillRect(0, 0, width, height);
    boxes.forEach((box, index) => drawBox(box, `${index + 1}. ${box.text}`, false));
    if (draft) drawBox(normalised(draft), "", true);
  }

  function drawBox(box, label, dashed) {
    const { width, height } = canvas;
    const x = box.x0 * width;
    const y = box.y0 * height;
    const w = (box.x1 - box.x0) * width;
    const h = (box.y1 - box.y0) * height;
    context.fillStyle = "rgba(37, 99, 235, 0.12)";
    context.fillRect(x, y, w, h);
    context.setLineDash(dashed ? [6, 4] : []);
    context.strokeStyle = enabled ? "#2563eb" : "#999999";
    context.lineWidth = 2;
    context.strokeRect(x, y, w, h);
    if (label) {
      context.fillStyle = "#1e3a8a";
      context.font = `${Math.max(10, Math.min(24, h * 0.6))}px system-ui, sans-serif`;
      context.textBaseline = "middle";
      context.fillText(label, x + 4, y + h / 2, Math.max(w - 8, 10));
    }
  }

  function pointAt(event) {
    const rect = canvas.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return { x: clamp((event.clientX - rect.left) / rect.width), y: clamp((event.clientY - rect.top) / rect.height) };
  }

  function normalised({ x0, y0, x1, y1 }) {
    return { x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1), y1: Math.max(y0, y1) };
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (!enabled || event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const p = pointAt(event);
    draft = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!draft) return;
    const p = pointAt(event);
    draft.x1 = p.x;
    draft.y1 = p.y;
    draw();
  });
  const finish = () => {
    if (!draft) return;
    const box = normalised(draft);
    draft = null;
    if (box.x1 - box.x0 >= MIN_SIDE && box.y1 - box.y0 >= MIN_SIDE) addBox(box);
    else draw();
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);

  addButton.addEventListener("click", () => {
    const step = (boxes.length % 6) * 0.1; // cascade so that new boxes don't hide each other
    addBox({ x0: 0.1 + step / 2, y0: 0.1 + step, x1: 0.6 + step / 2, y1: 0.22 + step });
  });

  draw();
  return { setAspect, setEnabled, items };
}
