// The create page: a text or a file, the holder's choices, then the link and
// passphrase to send. The choices (views, lifetimes) and their defaults are
// the operator's, rendered by the server; the limits come from the page.
//
// End-to-end (the default): the page derives the keys and encrypts (e2e.js),
// and sends only ciphertext and a verifier; the passphrase never leaves it.
// Unticked, the page sends the secret to the server to encrypt, as the
// original API does.

import { $, apiErrors, fill, formatBytes, formatNumber, gettext, lang, limits, loadE2E, ngettext, parseJson } from "./common.js";

const FIELDS = ["secret", "file", "view_count", "lifetime", "passphrase"];

export function setup() {
  const form = $("create-form");
  showHints();
  const nothingChosen = $("file-chosen").textContent;
  form.addEventListener("change", (event) => {
    if (event.target.name === "kind") switchKind(form);
    if (event.target.name === "file") $("file-chosen").textContent = event.target.files[0]?.name ?? nothingChosen;
  });
  form.addEventListener("reset", () => ($("file-chosen").textContent = nothingChosen));
  // Fetched once the person starts, so it is there by the time they submit.
  form.addEventListener("input", () => loadE2E(), { once: true });
  $("result-in-link").addEventListener("change", showLink);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(form);
  });
  $("again").addEventListener("click", () => startAgain(form));
}

const kindOf = (form) => form.elements.kind.value;

function showHints() {
  $("secret-hint").textContent = fill(gettext("Up to %(size)s."), { size: formatBytes(limits.maxTextBytes) });
  $("file-hint").textContent = fill(gettext("Any kind of file up to %(size)s."), {
    size: formatBytes(limits.maxFileBytes),
  });
  $("passphrase-hint").textContent = fill(
    ngettext(
      "Leave empty to get a strong random one. Your own needs at least %(n)s character.",
      "Leave empty to get a strong random one. Your own needs at least %(n)s characters.",
      limits.minPassphraseLength,
    ),
    { n: formatNumber(limits.minPassphraseLength) },
  );
}

function switchKind(form) {
  const file = kindOf(form) === "file";
  $("text-field").hidden = file;
  $("file-field").hidden = !file;
  clearErrors(form);
}

function showErrors(form, errors) {
  let first = null;
  for (const [field, message] of errors) {
    const known = FIELDS.includes(field) ? field : null;
    const box = known ? $(`${known}-error`) : $("form-error");
    box.textContent = message;
    box.hidden = false;
    if (known) form.elements[known].setAttribute("aria-invalid", "true");
    first ??= known ? form.elements[known] : null;
  }
  (first ?? $("form-error")).focus?.();
}

function clearErrors(form) {
  for (const box of form.querySelectorAll(".error, .alert")) {
    box.hidden = true;
    box.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// Checks that save a pointless upload; everything else is the API's word.
function localErrors(form) {
  const errors = new Map();
  if (kindOf(form) === "text") {
    const text = form.elements.secret.value;
    const size = new TextEncoder().encode(text).length;
    if (!text) errors.set("secret", gettext("Enter the text you want to share."));
    else if (size > limits.maxTextBytes) {
      const sizes = { size: formatBytes(size), limit: formatBytes(limits.maxTextBytes) };
      errors.set("secret", fill(gettext("The text is %(size)s; the limit is %(limit)s."), sizes));
    }
  } else {
    const file = form.elements.file.files[0];
    if (!file) errors.set("file", gettext("Choose the file you want to share."));
    else if (file.size > limits.maxFileBytes) {
      const sizes = { size: formatBytes(file.size), limit: formatBytes(limits.maxFileBytes) };
      errors.set("file", fill(gettext("The file is %(size)s; the limit is %(limit)s."), sizes));
    }
  }
  return errors;
}

function choices(form) {
  const values = {
    view_count: Number(form.elements.view_count.value),
    lifetime: Number(form.elements.lifetime.value),
  };
  // Trimmed here as on the reveal page, so a pasted trailing space or newline never locks anyone out.
  const own = form.elements.passphrase.value.trim();
  if (own) values.passphrase = own;
  return values;
}

let encryptingTold = -1;

function showEncrypting(done, total) {
  const bar = $("upload-progress");
  $("upload").hidden = false;
  bar.max = total || 1;
  bar.value = done;
  // A live region: it speaks at every tenth, as the upload's does.
  const tenth = total ? Math.floor((done / total) * 10) : 10;
  if (tenth === encryptingTold) return;
  encryptingTold = tenth;
  $("upload-status").textContent = fill(gettext("Encrypting in this browser: %(done)s of %(total)s (%(percent)s)"), {
    done: formatBytes(done),
    total: formatBytes(total),
    percent: new Intl.NumberFormat(lang, { style: "percent" }).format(tenth / 10),
  });
}

// `sealed`: the body was encrypted in this browser, so the server only stores it.
function showProgress(xhr, size, sealed) {
  const bar = $("upload-progress");
  const status = $("upload-status");
  let told = -1;
  // The status is a live region: it speaks at every tenth, not at every event.
  const tell = (loaded, total) => {
    const tenth = Math.floor((loaded / total) * 10);
    if (tenth === told) return;
    told = tenth;
    status.textContent = fill(gettext("%(sent)s of %(total)s sent (%(percent)s)"), {
      sent: formatBytes(loaded),
      total: formatBytes(total),
      percent: new Intl.NumberFormat(lang, { style: "percent" }).format(tenth / 10),
    });
  };
  $("upload").hidden = false;
  bar.value = 0;
  tell(0, size || 1);
  xhr.upload.addEventListener("progress", (event) => {
    if (!event.lengthComputable) return;
    bar.max = event.total;
    bar.value = event.loaded;
    tell(event.loaded, event.total);
  });
  xhr.upload.addEventListener("load", () => {
    status.textContent = sealed ? gettext("Sent. Storing the encrypted file…") : gettext("Sent. Encrypting and storing…");
  });
}

// XMLHttpRequest rather than fetch: only it reports upload progress.
// `progress`: the size of the file in the body, to show its upload; `sealed`: that file
// was encrypted here (end-to-end).
function post(url, body, { progress = null, sealed = false } = {}) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", url);
  if (!(body instanceof FormData)) {
    xhr.setRequestHeader("Content-Type", "application/json");
    body = JSON.stringify(body);
  }
  if (progress !== null) showProgress(xhr, progress, sealed);
  xhr.setRequestHeader("Accept", "application/json");
  xhr.responseType = "text";
  return new Promise((resolve) => {
    xhr.addEventListener("loadend", () =>
      resolve({ status: xhr.status, body: parseJson(xhr.responseText), headers: { get: (h) => xhr.getResponseHeader(h) } }),
    );
    xhr.send(body);
  });
}

function formData(fields) {
  const body = new FormData();
  // Text fields first: the server reads them before the file streams in.
  for (const [key, value] of Object.entries(fields)) body.append(key, value);
  return body;
}

function send(form) {
  const values = choices(form);
  if ($("end-to-end").checked) return sendEndToEnd(form, values);
  if (kindOf(form) === "text") return post("/api/text/", { secret: form.elements.secret.value, ...values });
  const body = formData(values);
  const file = form.elements.file.files[0];
  body.append("file", file);
  return post("/api/files/", body, { progress: file.size });
}

const refused = (field, message) => ({ status: 400, body: { fields: { [field]: [message] } }, headers: new Headers() });

async function sendEndToEnd(form, { passphrase: own, ...values }) {
  const e2e = await loadE2E();
  const problem = own === undefined ? null : e2e.ownPassphraseProblem(own);
  if (problem === "too_short") {
    const n = e2e.MIN_OWN_PASSPHRASE;
    const text = ngettext(
      "A passphrase of your own needs at least %(n)s character.",
      "A passphrase of your own needs at least %(n)s characters.",
      n,
    );
    return refused("passphrase", fill(text, { n: formatNumber(n) }));
  }
  if (problem) {
    return refused(
      "passphrase",
      gettext("32 letters, digits, - and _ is the form of generated passphrases; choose another."),
    );
  }
  const ticket = await post("/api/e2e/", {});
  if (ticket.status !== 201) return ticket;
  const { secret_id: id, text_url: textUrl, file_url: fileUrl } = ticket.body;
  const passphrase = own ?? e2e.newPassphrase();
  const { contentKey, proof } = await e2e.deriveKeys(passphrase, id);
  let answer;
  if (kindOf(form) === "text") {
    const sealed = await e2e.sealText(contentKey, form.elements.secret.value, id);
    const verifier = await e2e.verifier(proof, await e2e.sealedDigest(sealed));
    answer = await post(textUrl, { sealed: e2e.b64encode(sealed), verifier: e2e.b64encode(verifier), ...values });
  } else {
    const file = form.elements.file.files[0];
    encryptingTold = -1;
    showEncrypting(0, file.size);
    const { body, sealedMeta } = await e2e.sealBlob(contentKey, id, file, { onProgress: showEncrypting });
    const verifier = await e2e.verifier(proof, await e2e.sealedDigest(sealedMeta));
    const fields = formData({
      ...values,
      verifier: e2e.b64encode(verifier),
      sealed_metadata: e2e.b64encode(sealedMeta),
    });
    fields.append("file", body, "sealed");
    answer = await post(fileUrl, fields, { progress: body.size, sealed: true });
  }
  if (answer.status === 201) answer.body = { ...answer.body, passphrase, endToEnd: true };
  // The server names the ciphertext; the person typed the secret.
  else if (answer.body?.fields?.sealed) answer.body.fields = { secret: answer.body.fields.sealed };
  return answer;
}

async function submit(form) {
  const button = $("create-button");
  button.dataset.label ??= button.textContent; // in the page's language, from the template
  clearErrors(form);
  const local = localErrors(form);
  if (local.size) return showErrors(form, local);
  button.disabled = true;
  button.textContent = gettext("Creating…");
  try {
    const { status, body, headers } = await send(form);
    if (status === 201 && body?.secret_id) return showResult(form, body);
    const errors = apiErrors(status, body, headers);
    if (status === 413 && !body?.fields) {
      errors.clear();
      errors.set(kindOf(form) === "text" ? "secret" : "file", body?.detail || gettext("This is larger than the limit."));
    }
    showErrors(form, errors);
  } finally {
    button.disabled = false;
    button.textContent = button.dataset.label;
    $("upload").hidden = true;
  }
}

function showLink() {
  const result = $("result");
  const inLink = $("result-in-link").checked;
  const fragment = inLink ? `#${encodeURIComponent(result.dataset.passphrase)}` : "";
  $("result-link").value = new URL(result.dataset.path, location.origin).href + fragment;
  showQr($("result-link").value);
  const copy = $("copy-link");
  copy.textContent = inLink ? gettext("Copy link with passphrase") : gettext("Copy link");
  delete copy.dataset.label;
}

function showResult(form, body) {
  const result = $("result");
  result.dataset.path = `${body.endToEnd ? "/e/" : "/secret/"}${body.secret_id}`;
  result.dataset.passphrase = body.passphrase;
  $("result-in-link").checked = false;
  $("result-in-link-field").hidden = !body.endToEnd;
  showLink();
  $("result-passphrase").value = body.passphrase;
  const n = body.view_count;
  const when = new Date(body.expires_at).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
  $("result-terms").textContent = fill(
    n === 1
      ? gettext("It can be viewed once and expires on %(when)s at the latest.")
      : ngettext(
          "It can be viewed %(n)s time and expires on %(when)s at the latest.",
          "It can be viewed %(n)s times and expires on %(when)s at the latest.",
          n,
        ),
    { n: formatNumber(n), when },
  );
  if (body.receipt) {
    $("receipt-link").href = new URL(`/receipt/${encodeURIComponent(body.receipt)}`, location.origin).href;
  }
  $("result-receipt").hidden = !body.receipt;
  // The secret itself should not linger in the page once it is stored.
  form.reset();
  $("create").hidden = true;
  $("result").hidden = false;
  $("result-title").focus();
}

// Loaded only now: most visits never need the encoder.
let qrDrawn = 0;

async function showQr(link) {
  const figure = $("result-qr");
  const box = $("result-qr-code");
  // Drawn again when the link changes (the passphrase in or out): only the latest call may draw.
  const call = ++qrDrawn;
  try {
    const { qrSvg } = await import("./qr.js");
    if (call !== qrDrawn) return;
    const svg = qrSvg(link);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", box.dataset.label);
    box.replaceChildren(svg);
  } catch {
    // No code (a link too long to encode, a module that did not load): the link is still there.
    return;
  }
  // Whatever follows the # travels with the link; if the passphrase is there, so is the secret.
  const withPassphrase = new URL(link).hash.length > 1;
  $("qr-link-only").hidden = withPassphrase;
  $("qr-with-passphrase").hidden = !withPassphrase;
  figure.hidden = false;
}

function startAgain(form) {
  delete $("result").dataset.passphrase;
  $("result-qr").hidden = true;
  $("result-qr-code").replaceChildren();
  $("result-link").value = "";
  $("result-passphrase").value = "";
  $("receipt-link").href = "/";
  $("result-receipt").hidden = true;
  $("result").hidden = true;
  $("create").hidden = false;
  $("text-field").hidden = false;
  $("file-field").hidden = true;
  form.elements.secret.focus();
}
