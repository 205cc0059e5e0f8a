// api.js — owns talking to the server: the stored token, authorised fetch calls, API errors and the catalog.

const TOKEN_KEY = "atelier.studio.token";

/** The API's root, e.g. "http://127.0.0.1:8000/v1" (the studio lives at <origin>/studio/). */
export const API_ROOT = new URL("../v1", location.href).href;

export function getToken() {
  return localStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
}

/** An error answer of the API: {code, message, param} plus the HTTP status (0: not from the server). */
export class ApiError extends Error {
  constructor(status, { code = "error", message = "request failed", param = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

/**
 * Calls the API at `path` (relative to /v1, e.g. "users/me") and returns the parsed JSON answer.
 * `json` sends a JSON body, `form` a FormData (multipart). Throws ApiError on a 4xx/5xx answer;
 * an aborted call throws the browser's AbortError.
 */
export async function api(path, { method = "GET", json, form, signal, auth = true } = {}) {
  const headers = {};
  if (auth) {
    // Signed out meanwhile (a call started before sign-out finishes after it): not sent.
    if (!getToken()) throw new ApiError(401, { code: "signed_out", message: "signed out" });
    headers.Authorization = `Bearer ${getToken()}`;
  }
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser writes the multipart boundary itself
  }
  const response = await fetch(`${API_ROOT}/${path}`, { method, headers, body, signal });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null; // not JSON (a proxy's error page, say)
  }
  if (!response.ok) {
    const fallback = { code: `http_${response.status}`, message: text.slice(0, 300) || response.statusText };
    throw new ApiError(response.status, data && typeof data === "object" && data.message ? data : fallback);
  }
  return data;
}

/** GET /v1/catalog: models, styles, sizes, prices and limits (no token needed). */
export function loadCatalog() {
  return api("catalog", { auth: false });
}

/**
 * The image URL as one this page may fetch and download: the server signs URLs with its
 * configured address (say 127.0.0.1) which may differ from the one the page was opened at
 * (say localhost); the same path on this page's origin is the same image.
 */
export function sameOriginUrl(url) {
  const parsed = new URL(url, location.href);
  if (parsed.origin === location.origin) return parsed.href;
  return `${location.origin}${parsed.pathname}${parsed.search}`;
}
