// URL and URLSearchParams come from whatwg-url (the WHATWG reference implementation, bundled
// from npm at build time). It is large, so it is evaluated on first use, not at start-up.
let urlExports;
function loadUrl() {
  if (!urlExports) urlExports = native.loadBundle("url", native);
  return urlExports;
}
internal.loadUrl = loadUrl;
// Whether `value` is a URL or URLSearchParams (`name`); false while the bundle is not loaded, as
// no value can be one then. whatwg-url keeps its state under a symbol, so this is an instanceof
// test, with the original Function.prototype[Symbol.hasInstance] (a static one on URL is ignored).
const apply = Reflect.apply;
const hasInstance = Function.prototype[Symbol.hasInstance];
internal.isUrlObject = (value, name) =>
  urlExports !== undefined && typeof value === "object" && value !== null && apply(hasInstance, urlExports[name], [value]);
internal.defineGlobalGetter("URL", () => loadUrl().URL);
internal.defineGlobalGetter("URLSearchParams", () => loadUrl().URLSearchParams);
