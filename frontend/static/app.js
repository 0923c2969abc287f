// The web UI for creating and revealing secrets. It talks only to this site's
// API and keeps nothing: no storage, no cookies, no query strings. Each page
// has its module; this one starts the page the server rendered.

import { app, setupCopyButtons } from "./common.js";

// Only senders open a receipt: its module loads on that page alone.
const pages = { receipt: async () => (await import("./receipt.js")).setupReceipt() };

setupCopyButtons();
// Only this page's module (by the hashed name the template gives), so no page
// loads another's code.
if (app.dataset.pageModule) {
  const { setup } = await import(app.dataset.pageModule);
  setup();
} else {
  pages[app.dataset.page]?.();
}
