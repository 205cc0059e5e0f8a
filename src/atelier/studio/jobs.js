// jobs.js — owns the life of a request: one at a time, elapsed seconds, Cancel, showing errors (and the field they name), refreshing the balance.

import { ApiError } from "./api.js";
import { byId } from "./dom.js";

let running = null; // {controller, started, timer} while a request is in flight
let afterEachJob = () => {}; // set by studio.js: refreshes the balance

export function onJobFinished(callback) {
  afterEachJob = callback;
}

/**
 * Runs `request(signal)` as the one job in flight: clears the last error, shows the label with
 * elapsed seconds and a Cancel button, and afterwards shows any error and refreshes the balance.
 * `scope` is the form whose controls an error's `param` is looked up in.
 * Resolves to the request's result, or null when it failed or was cancelled.
 */
export async function runJob(label, scope, request) {
  if (running) {
    showNotice("Another request is still running; wait for it or cancel it.");
    return null;
  }
  clearError();
  hideNotice();
  const controller = new AbortController();
  running = { controller, started: performance.now(), timer: 0 };
  byId("job-label").textContent = label;
  byId("elapsed").textContent = "0";
  byId("job").hidden = false;
  setStartButtonsDisabled(true);
  running.timer = setInterval(showElapsed, 200);
  try {
    return await request(controller.signal);
  } catch (error) {
    if (error?.name === "AbortError") {
      showNotice(`${label}: cancelled after ${elapsedSeconds()} s.`);
    } else {
      showError(error, scope);
    }
    return null;
  } finally {
    clearInterval(running.timer);
    running = null;
    byId("job").hidden = true;
    setStartButtonsDisabled(false);
    afterEachJob();
  }
}

/** Aborts the running request; the server cancels the job when the client goes away. */
export function cancelJob() {
  running?.controller.abort();
}

function elapsedSeconds() {
  return running ? Math.floor((performance.now() - running.started) / 1000) : 0;
}

function showElapsed() {
  byId("elapsed").textContent = String(elapsedSeconds());
}

function setStartButtonsDisabled(disabled) {
  for (const button of document.querySelectorAll(".job-start")) button.disabled = disabled;
}

/**
 * Shows an error: the API's message with its code in the error element, and when it names a
 * field, marks that field's control invalid and focuses it. Anything that isn't an ApiError
 * (a network failure, a bug) is shown the same way with its own message.
 */
export function showError(error, scope = document) {
  const apiError = error instanceof ApiError ? error : new ApiError(0, { code: "client_error", message: String(error?.message || error) });
  const box = byId("error");
  box.textContent = `${apiError.message} (${apiError.code}${apiError.status ? `, HTTP ${apiError.status}` : ""})`;
  box.hidden = false;
  const control = apiError.param ? controlFor(apiError.param, scope) : null;
  if (control) {
    control.classList.add("invalid");
    control.setAttribute("aria-invalid", "true");
    control.focus({ preventScroll: false });
    control.addEventListener("input", () => unmark(control), { once: true });
    control.addEventListener("change", () => unmark(control), { once: true });
  } else {
    box.scrollIntoView({ block: "nearest" });
  }
}

/**
 * The control for an API param like "controls.colors.0.rgb": the element with that exact
 * data-param, else the nearest parent path that has one ("controls.colors", then "controls").
 */
function controlFor(param, scope) {
  const parts = String(param).split(".");
  while (parts.length) {
    const name = parts.join(".");
    const found = scope.querySelector(`[data-param="${CSS.escape(name)}"]`);
    if (found) return found;
    parts.pop();
  }
  return null;
}

function unmark(control) {
  control.classList.remove("invalid");
  control.removeAttribute("aria-invalid");
}

export function clearError() {
  const box = byId("error");
  box.textContent = "";
  box.hidden = true;
  for (const control of document.querySelectorAll(".invalid")) unmark(control);
}

export function showNotice(text) {
  const notice = byId("notice");
  notice.textContent = text;
  notice.hidden = false;
}

export function hideNotice() {
  byId("notice").hidden = true;
}
