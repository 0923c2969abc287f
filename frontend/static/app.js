// The web UI for creating and revealing secrets. It talks only to this site's
// API and keeps nothing: no storage, no cookies, no query strings.

const app = document.getElementById("app");
const $ = (id) => document.getElementById(id);
const limits = Object.fromEntries(
  ["maxTextBytes", "maxFileBytes", "minPassphraseLength"].map(
    (k) => [k, Number(app.dataset[k])],
  ),
);

const GONE = "This secret cannot be shown: it was already viewed, it expired, or the passphrase is wrong.";

function formatBytes(n) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function formatDuration(seconds) {
  const steps = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of steps) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} seconds`;
}

function announce(section, text) {
  const status = section.querySelector(".status");
  status.textContent = "";
  // Emptied first, so that screen readers announce a repeated message again.
  setTimeout(() => (status.textContent = text), 50);
}

async function copyFrom(button) {
  const source = $(button.dataset.copy);
  // Remembered once: a second click while it says "Copied" must not make that the label.
  button.dataset.label ??= button.textContent;
  const label = button.dataset.label;
  try {
    await navigator.clipboard.writeText(source.value);
  } catch {
    // Without clipboard permission (or over plain http) fall back to the selection.
    source.select();
    if (!document.execCommand("copy")) {
      button.textContent = "Press Ctrl+C";
      return;
    }
  }
  button.textContent = "Copied";
  announce(button.closest("section"), "Copied to the clipboard.");
  clearTimeout(button.restore);
  button.restore = setTimeout(() => (button.textContent = label), 2000);
}

for (const button of document.querySelectorAll("button.copy")) {
  button.addEventListener("click", () => copyFrom(button));
}

// Turns an API error body into plain words per field (null key: the whole form).
function apiErrors(status, body, headers) {
  const errors = new Map();
  for (const [field, messages] of Object.entries(body?.fields ?? {})) {
    errors.set(field, [].concat(messages).join(" "));
  }
  if (errors.size) return errors;
  if (status === 429) {
    const wait = Number(headers.get("Retry-After"));
    errors.set(null, `Too many attempts. Please try again${wait ? ` in ${formatDuration(wait)}` : " later"}.`);
  } else if (status === 503) {
    errors.set(null, "The service cannot store secrets right now. Please try again in a moment.");
  } else if (status === 0) {
    errors.set(null, "Could not reach the server. Check your connection and try again.");
  } else {
    errors.set(null, body?.detail || `Something went wrong (error ${status}). Please try again.`);
  }
  return errors;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/* ---------- create page ---------- */

function setupCreate() {
  const form = $("create-form");
  const button = $("create-button");
  const kindOf = () => form.elements.kind.value;
  const fields = ["secret", "file", "view_count", "lifetime", "passphrase"];

  // The choices (views, lifetimes) and their defaults are the operator's, rendered by the server.
  $("secret-hint").textContent = `Up to ${formatBytes(limits.maxTextBytes)}.`;
  $("file-hint").textContent = `Any kind of file up to ${formatBytes(limits.maxFileBytes)}.`;
  $("passphrase-hint").textContent =
    `Leave empty to get a strong random one. Your own needs at least ${limits.minPassphraseLength} characters.`;

  function showErrors(errors) {
    let first = null;
    for (const [field, message] of errors) {
      const known = fields.includes(field) ? field : null;
      const box = known ? $(`${known}-error`) : $("form-error");
      box.textContent = message;
      box.hidden = false;
      if (known) form.elements[known].setAttribute("aria-invalid", "true");
      first ??= known ? form.elements[known] : null;
    }
    (first ?? $("form-error")).focus?.();
  }

  function clearErrors() {
    for (const box of form.querySelectorAll(".error, .alert")) {
      box.hidden = true;
      box.textContent = "";
    }
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  form.addEventListener("change", (event) => {
    if (event.target.name !== "kind") return;
    const file = kindOf() === "file";
    $("text-field").hidden = file;
    $("file-field").hidden = !file;
    clearErrors();
  });

  // Checks that save a pointless upload; everything else is the API's word.
  function localErrors() {
    const errors = new Map();
    if (kindOf() === "text") {
      const text = form.elements.secret.value;
      const size = new TextEncoder().encode(text).length;
      if (!text) errors.set("secret", "Enter the text you want to share.");
      else if (size > limits.maxTextBytes) {
        errors.set("secret", `The text is ${formatBytes(size)}; the limit is ${formatBytes(limits.maxTextBytes)}.`);
      }
    } else {
      const file = form.elements.file.files[0];
      if (!file) errors.set("file", "Choose the file you want to share.");
      else if (file.size > limits.maxFileBytes) {
        errors.set("file", `The file is ${formatBytes(file.size)}; the limit is ${formatBytes(limits.maxFileBytes)}.`);
      }
    }
    return errors;
  }

  function send() {
    const text = kindOf() === "text";
    const xhr = new XMLHttpRequest();
    const values = {
      view_count: Number(form.elements.view_count.value),
      lifetime: Number(form.elements.lifetime.value),
    };
    // Trimmed here as on the reveal page, so a pasted trailing space or newline never locks anyone out.
    const own = form.elements.passphrase.value.trim();
    if (own) values.passphrase = own;
    let body;
    if (text) {
      xhr.open("POST", "/api/text/");
      xhr.setRequestHeader("Content-Type", "application/json");
      body = JSON.stringify({ secret: form.elements.secret.value, ...values });
    } else {
      xhr.open("POST", "/api/files/");
      body = new FormData();
      // Text fields first: the server reads them before the file streams in.
      for (const [key, value] of Object.entries(values)) body.append(key, value);
      body.append("file", form.elements.file.files[0]);
      const bar = $("upload-progress");
      const status = $("upload-status");
      $("upload").hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        bar.max = event.total;
        bar.value = event.loaded;
        const percent = Math.floor((event.loaded / event.total) * 100);
        status.textContent = `${formatBytes(event.loaded)} of ${formatBytes(event.total)} sent (${percent}%)`;
      });
      xhr.upload.addEventListener("load", () => {
        status.textContent = "Sent. Encrypting and storing…";
      });
    }
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "text";
    return new Promise((resolve) => {
      xhr.addEventListener("loadend", () =>
        resolve({ status: xhr.status, body: parseJson(xhr.responseText), headers: { get: (h) => xhr.getResponseHeader(h) } }),
      );
      xhr.send(body);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const local = localErrors();
    if (local.size) return showErrors(local);
    button.disabled = true;
    button.textContent = "Creating…";
    try {
      const { status, body, headers } = await send();
      if (status === 201 && body?.secret_id) return showResult(body);
      const errors = apiErrors(status, body, headers);
      if (status === 413 && !body?.fields) {
        errors.clear();
        errors.set(kindOf() === "text" ? "secret" : "file", body?.detail || "This is larger than the limit.");
      }
      showErrors(errors);
    } finally {
      button.disabled = false;
      button.textContent = "Create secret link";
      $("upload").hidden = true;
    }
  });

  function showResult(body) {
    $("result-link").value = new URL(`/secret/${body.secret_id}`, location.origin).href;
    $("result-passphrase").value = body.passphrase;
    const views = body.view_count === 1 ? "once" : `${body.view_count} times`;
    const when = new Date(body.expires_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    $("result-terms").textContent = `It can be viewed ${views} and expires on ${when} at the latest.`;
    // The secret itself should not linger in the page once it is stored.
    form.reset();
    $("create").hidden = true;
    $("result").hidden = false;
    $("result-title").focus();
  }

  $("again").addEventListener("click", () => {
    $("result-link").value = "";
    $("result-passphrase").value = "";
    $("result").hidden = true;
    $("create").hidden = false;
    $("text-field").hidden = false;
    $("file-field").hidden = true;
    form.elements.secret.focus();
  });
}

/* ---------- reveal page ---------- */

// The original name from Content-Disposition: filename* (RFC 5987) wins over filename.
function filenameFrom(header) {
  if (!header) return "download";
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[2].trim());
    } catch {
      // Malformed percent-encoding: fall through to the plain name.
    }
  }
  const plain = /filename\s*=\s*("((?:\\.|[^"\\])*)"|[^;]+)/i.exec(header);
  if (plain) return (plain[2] ?? plain[1]).replace(/\\(.)/g, "$1").trim();
  return "download";
}

function setupReveal() {
  const id = app.dataset.secretId;
  const form = $("reveal-form");
  const input = form.elements.passphrase;
  const gone = $("gone");
  const buttons = document.querySelectorAll("#ask button");
  let fileUrl = null;

  function fail(message) {
    gone.textContent = message;
    gone.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }

  async function call(action) {
    gone.hidden = true;
    input.removeAttribute("aria-invalid");
    if (!input.value.trim()) {
      fail("Enter the passphrase you were sent.");
      return null;
    }
    for (const b of buttons) b.disabled = true;
    try {
      const response = await fetch(`/api/secrets/${encodeURIComponent(id)}/${action}/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ passphrase: input.value.trim() }),
        credentials: "omit",
        cache: "no-store",
      });
      if (response.ok) return response;
      const body = parseJson(await response.text());
      fail(response.status === 404 ? GONE : apiErrors(response.status, body, response.headers).values().next().value);
    } catch {
      fail(apiErrors(0).get(null));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    return null;
  }

  function viewsLeft(n) {
    $("views-left").textContent =
      n > 0
        ? `It can be viewed ${n} more time${n === 1 ? "" : "s"}. Delete it now if nobody else needs it.`
        : "That was the last view: the secret is now deleted from the server.";
    $("burn-shown").hidden = !(n > 0);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await call("reveal");
    if (!response) return;
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      const body = await response.json();
      $("secret-text").value = body.data;
      $("shown-text").hidden = false;
      viewsLeft(Number(body.views_left));
    } else {
      const blob = await response.blob();
      const name = filenameFrom(response.headers.get("Content-Disposition"));
      fileUrl = URL.createObjectURL(blob);
      const link = $("file-link");
      link.href = fileUrl;
      link.download = name;
      $("file-name").textContent = name;
      $("file-size").textContent = formatBytes(blob.size);
      $("shown-file").hidden = false;
      viewsLeft(Number(response.headers.get("X-Views-Left")));
      link.click();
    }
    $("ask").hidden = true;
    $("shown").hidden = false;
    $("shown-title").focus();
  });

  async function burn() {
    if (!(await call("burn"))) {
      // The passphrase form holds the message; bring it back if it was hidden.
      $("shown").hidden = true;
      $("ask").hidden = false;
      input.focus();
      return;
    }
    $("secret-text").value = "";
    input.value = "";
    $("ask").hidden = true;
    $("shown").hidden = true;
    $("burned").hidden = false;
    $("burned-title").focus();
  }
  $("burn-unseen").addEventListener("click", burn);
  $("burn-shown").addEventListener("click", burn);

  window.addEventListener("pagehide", () => fileUrl && URL.revokeObjectURL(fileUrl));
}

if (app.dataset.page === "create") setupCreate();
if (app.dataset.page === "reveal") setupReveal();
