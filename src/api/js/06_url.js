// URL and URLSearchParams come from whatwg-url (the WHATWG reference implementation, bundled
// from npm at build time). It is large, so it is evaluated on first use, not at start-up.
let urlExports;
function loadUrl() {
  if (!urlExports) urlExports = native.loadBundle("url", native);
  return urlExports;
}
internal.loadUrl = loadUrl;
internal.defineGlobalGetter("URL", () => loadUrl().URL);
internal.defineGlobalGetter("URLSearchParams", () => loadUrl().URLSearchParams);
