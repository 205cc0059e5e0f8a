// gallery.js — owns the results list: a card per image (newest first) with download, copy URL, expiry, "use as input" and the request as code.

import { sameOriginUrl } from "./api.js";
import { byId, copyText, el } from "./dom.js";
import { curlFor, pythonFor } from "./snippets.js";

const NEVER = 253402300799; // the server's expires= for a kept image (9999-12-31)

let useAsInput = () => {};

/** `onUseAsInput(url)` loads a result into the Edit screen. */
export function initGallery({ onUseAsInput }) {
  useAsInput = onUseAsInput;
}

/**
 * Adds the images of one answer: generations and edits answer {data: [{image_id, url}]},
 * tools {image: {...}}. `request` is what was sent (see snippets.js), shown under each image.
 */
export function addResults(request, answer) {
  const images = answer.data || (answer.image ? [answer.image] : []);
  const cards = images.map((image, index) => card(request, answer, image, index, images.length));
  byId("gallery-list").prepend(...cards); // the first image of the answer on top
  byId("gallery-empty").hidden = true;
}

export function clearGallery() {
  byId("gallery-list").replaceChildren();
  byId("gallery-empty").hidden = false;
}

/** The expiry of a signed URL (its expires= query parameter, Unix seconds), as text. */
function expiryText(url) {
  const expires = Number(new URL(url, location.href).searchParams.get("expires"));
  if (!expires) return { text: "Expiry unknown", iso: "" };
  if (expires >= NEVER) return { text: "Never expires", iso: "" };
  const date = new Date(expires * 1000);
  return { text: `Expires ${date.toLocaleString()}`, iso: date.toISOString() };
}

function card(request, answer, image, index, count) {
  const url = image.url;
  const fileName = new URL(url, location.href).pathname.split("/").pop() || `${image.image_id}.png`;
  const what = request.json?.prompt ?? request.fields?.prompt ?? "";
  const expiry = expiryText(url);
  const curl = curlFor(request);
  const code = pythonFor(request);
  const copyUrl = el("button", { type: "button", onclick: () => copyText(url, copyUrl) }, "Copy URL");
  const copyCurl = el("button", { type: "button", onclick: () => copyText(curl, copyCurl) }, "Copy curl");
  const copyPython = el("button", { type: "button", onclick: () => copyText(code, copyPython) }, "Copy Python");

  return el(
    "li",
    { class: "result" },
    el("img", {
      src: url,
      alt: what ? `Result of ${request.endpoint}: ${what}` : `Result of ${request.endpoint}`,
      class: "checker", // transparent areas (removeBackground, SVG) show over a checkerboard
      "data-testid": "result-image",
    }),
    el(
      "div",
      { class: "meta" },
      el(
        "p",
        { class: "what" },
        el("strong", {}, request.endpoint),
        count > 1 ? ` · ${index + 1} of ${count}` : "",
        ` · ${answer.credits} units`,
      ),
      what ? el("p", { class: "prompt" }, what) : null,
      el("p", { class: "expiry" }, expiry.iso ? el("time", { datetime: expiry.iso }, expiry.text) : expiry.text),
      el(
        "div",
        { class: "actions" },
        el("a", { href: sameOriginUrl(url), download: fileName, class: "button" }, "Download"),
        copyUrl,
        el("button", { type: "button", onclick: () => useAsInput(url) }, "Use as input"),
      ),
      el(
        "details",
        { class: "request" },
        el("summary", {}, "Request"),
        el("h4", {}, "curl"),
        el("pre", {}, el("code", {}, curl)),
        copyCurl,
        el("h4", {}, "Python (OpenAI SDK)"),
        el("pre", {}, el("code", {}, code)),
        copyPython,
      ),
    ),
  );
}
