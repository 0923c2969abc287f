// What every page shares: the page's element and limits, formatting, announcements
// for screen readers, copy buttons, and turning API errors into plain words.

export const app = document.getElementById("app");
export const $ = (id) => document.getElementById(id);
export const limits = Object.fromEntries(
  ["maxTextBytes", "maxFileBytes", "minPassphraseLength"].map(
    (k) => [k, Number(app.dataset[k])],
  ),
);

export function formatBytes(n) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds) {
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
      button.textContent = "Press Ctrl+C";
      return;
    }
  }
  button.textContent = "Copied";
  announce(button.closest("section"), "Copied to the clipboard.");
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

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
