// What every page shares: the page's element and limits, its language, formatting,
// announcements for screen readers, copy buttons, and turning API errors into plain words.

export const app = document.getElementById("app");
export const $ = (id) => document.getElementById(id);
export const limits = Object.fromEntries(
  ["maxTextBytes", "maxFileBytes", "minPassphraseLength"].map(
    (k) => [k, Number(app.dataset[k])],
  ),
);

/* ---------- language ---------- */

// Messages come from the catalogue script (/i18n/catalog.js, Django's JavaScriptCatalog)
// in the page's language; should it fail to load, the English originals show.
// Every text a person reads goes through gettext or ngettext, so that
// `makemessages -d djangojs` finds it; placeholders are %(name)s, filled by fill().
const catalog = globalThis.django ?? {};
export const gettext = (text) => (catalog.gettext ? catalog.gettext(text) : text);
export const ngettext = (one, many, n) =>
  catalog.ngettext ? catalog.ngettext(one, many, n) : n === 1 ? one : many;
export const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
// Numbers, sizes and dates in the page's language, by the browser's Intl.
export const lang = document.documentElement.lang || "en";
export const formatNumber = (n) => n.toLocaleString(lang);

export function formatBytes(n) {
  const units = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  const digits = i > 0 && n < 10 ? 1 : 0;
  return new Intl.NumberFormat(lang, {
    style: "unit",
    unit: units[i],
    unitDisplay: i === 0 ? "long" : "short",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

export function formatDuration(seconds) {
  const steps = [
    [86400, "day"],
    [3600, "hour"],
    [60, "minute"],
    [1, "second"],
  ];
  const [size, unit] = steps.find(([size]) => seconds >= size && seconds % size === 0) ?? steps[3];
  return new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "long" }).format(seconds / size);
}

export function announce(section, text) {
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
      button.textContent = gettext("Press Ctrl+C");
      return;
    }
  }
  button.textContent = gettext("Copied");
  announce(button.closest("section"), gettext("Copied to the clipboard."));
  clearTimeout(button.restore);
  button.restore = setTimeout(() => (button.textContent = label), 2000);
}

export function setupCopyButtons() {
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", () => copyFrom(button));
  }
}

// Turns an API error body into plain words per field (null key: the whole form).
export function apiErrors(status, body, headers) {
  const errors = new Map();
  for (const [field, messages] of Object.entries(body?.fields ?? {})) {
    errors.set(field, [].concat(messages).join(" "));
  }
  if (errors.size) return errors;
  if (status === 429) {
    const wait = Number(headers.get("Retry-After"));
    errors.set(
      null,
      wait
        ? fill(gettext("Too many attempts. Please try again in %(wait)s."), { wait: formatDuration(wait) })
        : gettext("Too many attempts. Please try again later."),
    );
  } else if (status === 503) {
    errors.set(null, gettext("The service cannot store secrets right now. Please try again in a moment."));
  } else if (status === 0) {
    errors.set(null, gettext("Could not reach the server. Check your connection and try again."));
  } else {
    // The API's detail is already in the page's language (it follows the same cookie).
    errors.set(
      null,
      body?.detail || fill(gettext("Something went wrong (error %(status)s). Please try again."), { status }),
    );
  }
  return errors;
}

// The end-to-end format's module, by its hashed name, fetched only when a page
// first needs it: the create page's first load stays small.
let e2eModule = null;
export const loadE2E = () => (e2eModule ??= import(app.dataset.e2eModule));

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
