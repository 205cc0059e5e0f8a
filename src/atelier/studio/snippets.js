// snippets.js — owns writing a request the studio sent as code to run elsewhere: curl, and Python with the OpenAI SDK.

import { API_ROOT } from "./api.js";

/*
 * A request is described as {endpoint, json} (a JSON body, generations) or
 * {endpoint, fields, files} (multipart: fields as values, nested ones as objects; files as
 * [partName, fileName] pairs). The token is never written out: the code reads $ATELIER_TOKEN.
 */

/** Quotes a string for a POSIX shell. */
function shellQuote(text) {
  return `'${String(text).replaceAll("'", `'\\''`)}'`;
}

/** A JSON value as a Python literal (JSON strings and numbers are valid Python). */
function python(value) {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(python).join(", ")}]`;
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${python(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

/** A multipart field's text: nested values are sent as JSON strings. */
function formText(value) {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function curlFor(request) {
  const lines = [
    `curl -X POST ${shellQuote(`${API_ROOT}/images/${request.endpoint}`)}`,
    `  -H "Authorization: Bearer $ATELIER_TOKEN"`,
  ];
  if (request.json) {
    lines.push(`  -H 'Content-Type: application/json'`, `  -d ${shellQuote(JSON.stringify(request.json))}`);
  } else {
    for (const [part, file] of request.files) lines.push(`  -F ${shellQuote(`${part}=@${file}`)}`);
    // --form-string: a value starting with @ or < is text, not a file to read
    for (const [name, value] of Object.entries(request.fields)) {
      lines.push(`  --form-string ${shellQuote(`${name}=${formText(value)}`)}`);
    }
  }
  return lines.join(" \\\n");
}

// Arguments of client.images.generate itself; every other field goes in extra_body.
const SDK_ARGUMENTS = ["model", "prompt", "n", "size", "response_format"];

export function pythonFor(request) {
  const head = [
    "import os",
    "from openai import OpenAI",
    "",
    `client = OpenAI(base_url=${JSON.stringify(API_ROOT)}, api_key=os.environ["ATELIER_TOKEN"])`,
  ];
  if (request.json) {
    const args = [];
    const extra = {};
    for (const [name, value] of Object.entries(request.json)) {
      if (SDK_ARGUMENTS.includes(name)) args.push(`    ${name}=${python(value)},`);
      else extra[name] = value;
    }
    if (Object.keys(extra).length) args.push(`    extra_body=${python(extra)},`);
    return [...head, "result = client.images.generate(", ...args, ")", "print(result.data[0].url)"].join("\n");
  }
  // The Recraft endpoints the SDK has no method for: client.post with the files as multipart.
  const files = request.files.map(([part, file]) => `${JSON.stringify(part)}: open(${JSON.stringify(file)}, "rb")`);
  const printed = request.kind === "tool" ? 'result["image"]["url"]' : 'result["data"][0]["url"]';
  return [
    ...head,
    "result = client.post(",
    `    ${JSON.stringify(`/images/${request.endpoint}`)},`,
    "    cast_to=object,",
    `    body=${python(request.fields)},`,
    `    files={${files.join(", ")}},`,
    '    options={"headers": {"Content-Type": "multipart/form-data"}},',
    ")",
    `print(${printed})`,
  ].join("\n");
}
