// Starts the app. Trunk writes the hashed names of the wasm-bindgen glue and
// of the WebAssembly module on this script's own tag (see pattern_script in
// Trunk.toml), so the page needs no inline script and a strict
// Content-Security-Policy can forbid them.
const tag = document.querySelector("script[data-twofold-js]");
const glue = await import(tag.dataset.twofoldJs);
await glue.default({ module_or_path: tag.dataset.twofoldWasm });
