/**
 * Test-only preload (node --require) for the WordPress Playground CLI.
 *
 * Why: php-wasm's Emscripten socket layer (@php-wasm/node-8-x/.../php_8_x.js) does `require('ws')` and expects
 * ws >= 8 (its "message" handler reads the `isBinary` argument added in ws 8). In this repository the top-level
 * `node_modules/ws` is 7.x (hoisted for @remix-run/dev), so every inbound socket chunk is dropped and all of PHP's
 * outbound HTTP (wp_remote_*) ends with "cURL error 52: Empty reply from server".
 * This hook resolves `ws` for php-wasm's own packages to the ws 8 that @php-wasm/node ships. It is a no-op once
 * the top-level ws is 8.x (fix: add "ws": "^8" to devDependencies).
 */
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");

let ws8 = null;
try {
  const nodePkg = path.dirname(require.resolve("@php-wasm/node/package.json", { paths: [process.cwd()] }));
  const candidate = path.join(nodePkg, "node_modules", "ws");
  if (fs.existsSync(path.join(candidate, "package.json"))) ws8 = require.resolve(candidate);
} catch {
  ws8 = null;
}

if (ws8) {
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    if (request === "ws" && parent && typeof parent.filename === "string" && /[\\/]@php-wasm[\\/]/.test(parent.filename)) {
      return ws8;
    }
    return original.call(this, request, parent, ...rest);
  };
}
