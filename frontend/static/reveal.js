// The reveal page: nothing is spent until the holder asks. A text is shown in
// the page, a file is handed to the browser as a download; either can be
// burned before or after it is seen.

import { $, apiErrors, app, fill, formatBytes, formatNumber, gettext, ngettext, parseJson } from "./common.js";

const GONE = gettext("This secret cannot be shown: it was already viewed, it expired, or the passphrase is wrong.");

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

export function setupReveal() {
  const page = new RevealPage(app.dataset.secretId, $("reveal-form"));
  page.form.addEventListener("submit", (event) => {
    event.preventDefault();
    page.reveal();
  });
  const burn = () => page.burn();
  $("burn-unseen").addEventListener("click", burn);
  $("burn-shown").addEventListener("click", burn);
  window.addEventListener("pagehide", () => page.fileUrl && URL.revokeObjectURL(page.fileUrl));
}

class RevealPage {
  constructor(id, form) {
    this.id = id;
    this.form = form;
    this.input = form.elements.passphrase;
    this.fileUrl = null;
  }

  fail(message) {
    const gone = $("gone");
    gone.textContent = message;
    gone.hidden = false;
    this.input.setAttribute("aria-invalid", "true");
    this.input.focus();
  }

  // POSTs the passphrase to one action; the response if it succeeded, else null with the reason shown.
  async call(action) {
    const buttons = document.querySelectorAll("#ask button");
    $("gone").hidden = true;
    this.input.removeAttribute("aria-invalid");
    const passphrase = this.input.value.trim();
    if (!passphrase) {
      this.fail(gettext("Enter the passphrase you were sent."));
      return null;
    }
    for (const b of buttons) b.disabled = true;
    try {
      const response = await fetch(`/api/secrets/${encodeURIComponent(this.id)}/${action}/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ passphrase }),
        credentials: "omit",
        cache: "no-store",
      });
      if (response.ok) return response;
      const body = parseJson(await response.text());
      this.fail(response.status === 404 ? GONE : apiErrors(response.status, body, response.headers).values().next().value);
    } catch {
      this.fail(apiErrors(0).get(null));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    return null;
  }

  async reveal() {
    const response = await this.call("reveal");
    if (!response) return;
    const type = response.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) await this.showText(response);
    else await this.showFile(response);
    $("ask").hidden = true;
    $("shown").hidden = false;
    $("shown-title").focus();
  }

  async showText(response) {
    const body = await response.json();
    $("secret-text").value = body.data;
    $("shown-text").hidden = false;
    viewsLeft(Number(body.views_left));
  }

  async showFile(response) {
    const blob = await response.blob();
    const name = filenameFrom(response.headers.get("Content-Disposition"));
    this.fileUrl = URL.createObjectURL(blob);
    const link = $("file-link");
    link.href = this.fileUrl;
    link.download = name;
    $("file-name").textContent = name;
    $("file-size").textContent = formatBytes(blob.size);
    $("shown-file").hidden = false;
    viewsLeft(Number(response.headers.get("X-Views-Left")));
    link.click();
  }

  async burn() {
    if (!(await this.call("burn"))) {
      // The passphrase form holds the message; bring it back if it was hidden.
      $("shown").hidden = true;
      $("ask").hidden = false;
      this.input.focus();
      return;
    }
    $("secret-text").value = "";
    this.input.value = "";
    $("ask").hidden = true;
    $("shown").hidden = true;
    $("burned").hidden = false;
    $("burned-title").focus();
  }
}

function viewsLeft(n) {
  $("views-left").textContent =
    n > 0
      ? fill(
          ngettext(
            "It can be viewed %(n)s more time. Delete it now if nobody else needs it.",
            "It can be viewed %(n)s more times. Delete it now if nobody else needs it.",
            n,
          ),
          { n: formatNumber(n) },
        )
      : gettext("That was the last view: the secret is now deleted from the server.");
  $("burn-shown").hidden = !(n > 0);
}
