// studio.js — the entry point: loads the catalog, wires the modules together, switches screens and starts sign-in.

import { initAccount, refreshBalance } from "./account.js";
import { initCatalog } from "./catalog.js";
import { byId } from "./dom.js";
import { initEdit, loadFromUrl } from "./edit.js";
import { addResults, clearGallery, initGallery } from "./gallery.js";
import { initGenerate, setCustomStyles, useCustomStyle } from "./generate.js";
import { cancelJob, onJobFinished, showError } from "./jobs.js";
import { clearStyles, initStyles, loadStyles } from "./styles.js";

/**
 * Shows a screen ("generate", "edit", "styles"); "gallery" scrolls the gallery, which is
 * always shown beside the screens (below them on a phone), into view instead.
 */
function showScreen(name) {
  if (name === "gallery") {
    const title = byId("gallery-title");
    title.scrollIntoView({ block: "start" });
    title.focus({ preventScroll: true });
    return;
  }
  const active = byId(`screen-${name}`);
  for (const screen of document.querySelectorAll(".screen")) screen.hidden = screen !== active;
  for (const tab of document.querySelectorAll(".tabs button")) {
    if (tab.dataset.screen === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  // Controls that exist on several screens (prompt, model, price, ...) answer to their
  // data-testid on the screen in view only.
  for (const element of document.querySelectorAll("[data-shared-testid]")) {
    if (element.closest(".screen") === active) element.dataset.testid = element.dataset.sharedTestid;
    else delete element.dataset.testid;
  }
}

function initTabs() {
  const tabs = [...document.querySelectorAll(".tabs button")];
  for (const tab of tabs) tab.addEventListener("click", () => showScreen(tab.dataset.screen));
  // Left/Right arrows move between the tabs (Tab reaches each of them too).
  byId("app").querySelector(".tabs").addEventListener("keydown", (event) => {
    const index = tabs.indexOf(document.activeElement);
    if (index < 0 || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) return;
    const step = event.key === "ArrowRight" ? 1 : -1;
    tabs[(index + step + tabs.length) % tabs.length].focus();
    event.preventDefault();
  });
}

/** Wires the screens once the catalog (which fills their menus) is loaded. */
function initScreens() {
  initTabs();
  byId("cancel").addEventListener("click", cancelJob);
  onJobFinished(refreshBalance);
  initGallery({
    onUseAsInput: (url) => {
      showScreen("edit");
      byId("edit-title").scrollIntoView({ block: "start" });
      loadFromUrl(url);
    },
  });
  initGenerate({ onResult: addResults });
  initEdit({ onResult: addResults });
  initStyles({
    onUse: (id) => {
      useCustomStyle(id);
      showScreen("generate");
      byId("gen-custom-style").focus();
    },
    onStylesChanged: setCustomStyles,
  });
}

function main() {
  // The sign-in form works at once; the catalog loads meanwhile, and signing in waits for it.
  const ready = initCatalog().then(
    () => {
      initScreens();
      return null;
    },
    (error) => {
      showError(error);
      return `The catalog (GET /v1/catalog) could not be loaded, so the studio cannot start: ${error.message}`;
    },
  );
  initAccount(
    async () => {
      const problem = await ready;
      if (problem) throw new Error(problem);
      showScreen("generate");
      loadStyles();
    },
    () => {
      cancelJob();
      clearGallery();
      clearStyles();
      setCustomStyles([]);
    },
  );
}

main();
