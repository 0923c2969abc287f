// The receipt page: how a secret stands, read from /api/receipts/<token>/ (a
// lookup takes no view), and "Revoke now" to burn it without the passphrase.
// It shows exactly what that JSON says, nothing the server did not answer.

import { $, announce, apiErrors, app, fill, formatNumber, gettext, lang, parseJson } from "./common.js";

const WORDS = {
  unread: gettext("Not opened yet."),
  viewed: gettext("Opened, and it can still be opened again."),
  used_up: gettext("Opened as many times as it allowed. It is gone."),
  burned: gettext("Deleted before all its views were taken. It is gone."),
  destroyed: gettext("Deleted after too many wrong passphrases. It is gone."),
  expired: gettext("Its time ran out. It is gone."),
};
const LIVE = new Set(["unread", "viewed"]);
const UNKNOWN = gettext(
  "No receipt like this: the address is incomplete, or the secret's lifetime is over and its receipt went with it.",
);

const when = (iso) => new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });

export function setupReceipt() {
  const url = `/api/receipts/${encodeURIComponent(app.dataset.receipt)}/`;
  $("receipt-state").textContent = gettext("Looking it up…");
  $("receipt-refresh").addEventListener("click", () => call(url, "GET"));
  $("receipt-revoke").addEventListener("click", () => {
    if (window.confirm(gettext("Delete this secret now? Nobody will be able to open it any more."))) {
      call(`${url}burn/`, "POST");
    }
  });
  call(url, "GET");
}

async function call(url, method) {
  $("receipt-error").hidden = true;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: method === "POST" ? "{}" : undefined,
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    return fail(gettext("Could not reach the server. Check your connection and try again."));
  }
  const body = parseJson(await response.text());
  if (response.status === 404) return fail(UNKNOWN, true);
  if (!response.ok || !body) {
    const errors = apiErrors(response.status, body, response.headers);
    return fail(errors.get(null) ?? [...errors.values()].join(" "));
  }
  show(body, method === "POST");
}

function fail(message, gone = false) {
  const error = $("receipt-error");
  error.textContent = message;
  error.hidden = false;
  $("receipt-state").textContent = "";
  if (gone) {
    $("receipt-facts").hidden = true;
    $("receipt-revoke").hidden = true;
  }
}

function show(status, revoked) {
  $("receipt-state").textContent = WORDS[status.state] ?? status.state;
  app.dataset.state = status.state;
  $("receipt-views").textContent = fill(gettext("%(taken)s of %(allowed)s taken, %(left)s left"), {
    taken: formatNumber(status.views_taken),
    allowed: formatNumber(status.view_count),
    left: formatNumber(status.views_left),
  });
  $("receipt-last").textContent = status.last_viewed_at ? when(status.last_viewed_at) : gettext("Never");
  $("receipt-created").textContent = when(status.created_at);
  $("receipt-expires").textContent = when(status.expires_at);
  $("receipt-facts").hidden = false;
  $("receipt-revoke").hidden = !LIVE.has(status.state);
  if (revoked) announce($("receipt"), WORDS[status.state] ?? status.state);
}
