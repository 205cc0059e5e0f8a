// dom.js — owns small DOM helpers shared by the screens: element lookup and creation, select filling, clipboard copy.

/** The element with this id (throws early when the HTML and the script disagree). */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`studio: no element #${id}`);
  return element;
}

/**
 * Creates an element: el("button", {type: "button", class: "x", onclick: fn}, "text", child...).
 * Attributes starting with "on" become event listeners; `dataset` takes an object.
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name in element && typeof value !== "string") {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? "" : value);
    }
  }
  element.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replaces a select's options with [{value, label}] and selects `value`. */
export function fillSelect(select, options, value) {
  select.replaceChildren(...options.map((o) => el("option", { value: o.value }, o.label)));
  select.value = value;
  if (select.selectedIndex < 0 && options.length) select.selectedIndex = 0;
}

/** A number field's value: a number, "" when empty, or the raw text when it isn't a number (the API will say why). */
export function numberValue(input) {
  const raw = input.value.trim();
  if (raw === "") return "";
  const number = Number(raw);
  return Number.isFinite(number) ? number : raw;
}

/** Shows "used / limit bytes" under a prompt (the limit is in UTF-8 bytes, not characters); marks it when over. */
export function showByteCount(textarea, counter, limit) {
  const used = new TextEncoder().encode(textarea.value).length;
  counter.querySelector(".bytes-used").textContent = String(used);
  counter.querySelector(".bytes-limit").textContent = String(limit);
  counter.classList.toggle("over", used > limit);
}

/** "#ff8000" -> [255, 128, 0] */
export function hexToRgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * Copies text to the clipboard and says so on the button for a moment. Falls back to a
 * hidden textarea where the Clipboard API is refused (an insecure origin, no permission).
 */
export async function copyText(text, button) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    const area = el("textarea", { class: "offscreen", "aria-hidden": "true" }, text);
    document.body.append(area);
    area.select();
    try {
      copied = document.execCommand("copy");
    } catch {
      copied = false;
    }
    area.remove();
    button.focus();
  }
  if (button) {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = copied ? "Copied" : "Copy failed";
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  }
  return copied;
}
