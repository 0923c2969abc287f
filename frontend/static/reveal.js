// The reveal page: nothing is spent until the holder asks. A text is shown in
// the page, a file is handed to the browser as a download; either can be
// burned before or after it is seen.
//
// An end-to-end secret's page (/e/ID) derives the proof and the content key
// here, sends only the proof, and decrypts what comes back: a file chunk by
// chunk as it downloads. A passphrase carried in the link's #fragment fills
// the field and leaves the address bar; it never reaches the server.

import { $, apiErrors, app, fill, formatBytes, formatNumber, gettext, loadE2E, lang, ngettext, parseJson } from "./common.js";

const GONE = gettext("This secret cannot be shown: it was already viewed, it expired, or the passphrase is wrong.");
const ALTERED = gettext(
  "The secret arrived but could not be decrypted: it was altered on the way or in storage. The view it took is spent; ask the sender to share it again.",
);

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

export function setup() {
  const endToEnd = app.dataset.endToEnd === "1";
  const page = new RevealPage(app.dataset.secretId, $("reveal-form"), endToEnd);
  if (endToEnd) {
    loadE2E();
    if (location.hash.length > 1) {
      try {
        page.input.value = decodeURIComponent(location.hash.slice(1));
      } catch {
        page.input.value = location.hash.slice(1);
      }
      // Out of the address bar and the history; the page still waits for a click.
      history.replaceState(null, "", location.pathname);
    }
  }
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
  constructor(id, form, endToEnd) {
    this.id = id;
    this.form = form;
    this.endToEnd = endToEnd;
    this.input = form.elements.passphrase;
    this.fileUrl = null;
    this.keys = null;
  }

  // What the request carries: the passphrase (server-side), or the proof derived from it.
  async credentials(passphrase) {
    if (!this.endToEnd) return { passphrase };
    const e2e = await loadE2E();
    if (this.keys?.passphrase !== passphrase) {
      this.keys = { passphrase, ...(await e2e.deriveKeys(passphrase, this.id)) };
    }
    return { proof: e2e.b64encode(this.keys.proof) };
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
      const route = this.endToEnd ? "e2e" : "secrets";
      const sent = await this.credentials(passphrase).catch(() => null);
      if (!sent) {
        // Not an id's form: the server would not know it either.
        this.fail(GONE);
        return null;
      }
      const response = await fetch(`/api/${route}/${encodeURIComponent(this.id)}/${action}/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(sent),
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
    try {
      if (type.startsWith("application/json")) await this.showText(response);
      else if (this.endToEnd) await this.showSealedFile(response);
      else await this.showFile(response);
    } catch (error) {
      $("download").hidden = true;
      this.fail(error?.name === "DecryptionFailed" ? ALTERED : apiErrors(0).get(null));
      return;
    }
    $("ask").hidden = true;
    $("shown").hidden = false;
    $("shown-title").focus();
  }

  async showText(response) {
    const body = await response.json();
    if (this.endToEnd) {
      const e2e = await loadE2E();
      body.data = await e2e.openText(this.keys.contentKey, e2e.b64decode(body.sealed ?? ""), this.id);
    }
    $("secret-text").value = body.data;
    $("shown-text").hidden = false;
    viewsLeft(Number(body.views_left));
  }

  async showSealedFile(response) {
    const e2e = await loadE2E();
    const meta = e2e.b64decode(response.headers.get("X-Sealed-Metadata") ?? "");
    const total = Number(response.headers.get("Content-Length")) || 0;
    showDownload(0, total);
    const { blob, metadata } = await e2e.openToBlob(this.keys.contentKey, meta, this.id, response.body, {
      onProgress: showDownload,
      total,
    });
    $("download").hidden = true;
    this.saveFile(blob, metadata.name || "download", response);
  }

  async showFile(response) {
    const blob = await response.blob();
    this.saveFile(blob, filenameFrom(response.headers.get("Content-Disposition")), response);
  }

  saveFile(blob, name, response) {
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

function showDownload(done, total) {
  const bar = $("download-progress");
  $("download").hidden = false;
  bar.max = total || 1;
  bar.value = done;
  const percent = total ? Math.floor((done / total) * 100) : 0;
  $("download-status").textContent = fill(gettext("%(done)s of %(total)s received and decrypted (%(percent)s)"), {
    done: formatBytes(done),
    total: formatBytes(total),
    percent: new Intl.NumberFormat(lang, { style: "percent" }).format(percent / 100),
  });
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
