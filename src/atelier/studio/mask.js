// mask.js — owns the mask: painting on the overlay canvas with a pointer (brush size, erase, clear) and exporting it as a black/white PNG of the image's pixel size.

import { grayscalePng } from "./png.js";

const PAINT = "#ff2d55"; // shown at half opacity over the image (see .stage canvas in studio.css)

/**
 * The painter for `canvas`, which lies over the image at its displayed size. The canvas has
 * the image's natural pixel size, so pointer positions are scaled from displayed to natural
 * pixels, and so is the brush (its size is in displayed pixels, what the user sees).
 * `brushSize()` and `erasing()` read the brush slider and the Erase toggle at each stroke.
 */
export function createMaskPainter(canvas, { brushSize, erasing }) {
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let last = null; // the last point of the stroke being drawn

  function resize(width, height) {
    canvas.width = width;
    canvas.height = height;
    clear();
  }

  function clear() {
    context.clearRect(0, 0, canvas.width, canvas.height);
  }

  function at(event) {
    const rect = canvas.getBoundingClientRect();
    const scale = canvas.width / rect.width;
    return { x: (event.clientX - rect.left) * scale, y: (event.clientY - rect.top) * (canvas.height / rect.height), scale };
  }

  function paint(from, to) {
    context.globalCompositeOperation = erasing() ? "destination-out" : "source-over";
    context.fillStyle = PAINT;
    context.strokeStyle = PAINT;
    context.lineWidth = brushSize() * to.scale;
    context.lineCap = "round";
    context.lineJoin = "round";
    if (from.x === to.x && from.y === to.y) {
      context.beginPath();
      context.arc(to.x, to.y, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
    } else {
      context.beginPath();
      context.moveTo(from.x, from.y);
      context.lineTo(to.x, to.y);
      context.stroke();
    }
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !canvas.width) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    last = at(event);
    paint(last, last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const point = at(event);
    paint(last, point);
    last = point;
  });
  const end = () => {
    last = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  /** The mask as the API takes it: grayscale PNG, white (255) where painted, black (0) elsewhere. */
  async function toPng() {
    const { width, height } = canvas;
    const rgba = context.getImageData(0, 0, width, height).data;
    const gray = new Uint8Array(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4 + 3] >= 128 ? 255 : 0; // no grey edges
    return grayscalePng(width, height, gray);
  }

  return { resize, clear, toPng };
}
