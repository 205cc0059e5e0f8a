// account.js — owns signing in and out (the token form and the sign-out button) and the balance in the header.

import { ApiError, api, clearToken, getToken, setToken } from "./api.js";
import { byId } from "./dom.js";
import { clearError, hideNotice, showError } from "./jobs.js";

let signedIn = () => {}; // what studio.js does once a token is accepted
let signedOut = () => {}; // ... and after signing out

/**
 * Wires the sign-in form and the sign-out button. `onSignedIn(user)` runs after a token is
 * accepted (a token kept from an earlier visit is checked the same way), `onSignedOut()` after
 * signing out.
 */
export function initAccount(onSignedIn, onSignedOut) {
  signedIn = onSignedIn;
  signedOut = onSignedOut;
  byId("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn(byId("token").value.trim());
  });
  byId("sign-out").addEventListener("click", signOut);
  if (getToken()) {
    byId("signin").hidden = true; // checking the kept token; the form comes back if it is refused
    signIn(getToken());
  } else {
    showSignIn();
  }
}

async function signIn(token) {
  clearError();
  if (!token) {
    showError(new ApiError(0, { code: "missing_token", message: "Paste an API token first.", param: "token" }), byId("signin"));
    return;
  }
  setToken(token);
  let user;
  try {
    user = await api("users/me");
  } catch (error) {
    clearToken();
    showSignIn();
    const message = error.status === 401 ? `This token was not accepted: ${error.message}` : error.message;
    showError(new ApiError(error.status || 0, { code: error.code || "error", message, param: "token" }), byId("signin"));
    return;
  }
  try {
    await signedIn(user); // the screens are ready (catalog loaded) before they are shown
  } catch (error) {
    showSignIn();
    showError(error);
    return;
  }
  showBalance(user.credits);
  byId("token").value = "";
  byId("signin").hidden = true;
  byId("app").hidden = false;
  byId("account").hidden = false;
}

function signOut() {
  clearToken();
  clearError();
  hideNotice();
  showSignIn();
  signedOut();
}

function showSignIn() {
  byId("app").hidden = true;
  byId("account").hidden = true;
  byId("balance").textContent = "…";
  byId("signin").hidden = false;
  byId("token").focus();
}

function showBalance(credits) {
  byId("balance").textContent = String(credits);
}

/** Reads the balance again (after every request, whether it succeeded or not). */
export async function refreshBalance() {
  if (!getToken()) return;
  try {
    const user = await api("users/me");
    showBalance(user.credits);
  } catch {
    // A failed refresh leaves the last balance; the request's own error is what the user sees.
  }
}
