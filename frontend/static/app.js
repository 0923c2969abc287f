// The web UI for creating and revealing secrets. It talks only to this site's
// API and keeps nothing: no storage, no cookies, no query strings. Each page
// has its module; this one starts the page the server rendered.

import { app, setupCopyButtons } from "./common.js";
import { setupCreate } from "./create.js";
import { setupReveal } from "./reveal.js";

// Only senders open a receipt: its module loads on that page alone.
const pages = {
  create: setupCreate,
  reveal: setupReveal,
  receipt: async () => (await import("./receipt.js")).setupReceipt(),
};

setupCopyButtons();
pages[app.dataset.page]?.();
