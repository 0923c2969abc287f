// The QR code of a secret's link, drawn in the page: the link never leaves the
// browser to be turned into a picture. The encoder is uqr (MIT, a port of
// Project Nayuki's), vendored unchanged in vendor/uqr.js with its licence.

import { encode } from "./vendor/uqr.js";

const SVG = "http://www.w3.org/2000/svg";

// An <svg> of the code: dark modules on a light ground whatever the page's
// colours, with the four-module quiet zone scanners need.
export function qrSvg(text) {
  // M: a smudged or partly covered screen still scans.
  const { data, size } = encode(text, { ecc: "M", border: 4 });
  let path = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) path += `M${x} ${y}h1v1h-1z`;
    });
  });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  const ground = document.createElementNS(SVG, "rect");
  ground.setAttribute("width", size);
  ground.setAttribute("height", size);
  ground.setAttribute("fill", "#fff");
  const modules = document.createElementNS(SVG, "path");
  modules.setAttribute("d", path);
  modules.setAttribute("fill", "#000");
  svg.append(ground, modules);
  return svg;
}
