// Replaces the npm `tr46` package inside the bundled whatwg-url: domain-to-ASCII (UTS #46) is done
// by ICU (the same library V8's Intl uses) through a native, instead of shipping and evaluating
// tr46's 140 KB mapping table in every context. `__marNative` is the built-ins' native object,
// passed in by the wrapper that evaluates this bundle (src/api/realm.cc, LoadUrl).
/* global __marNative */
export function toASCII(domain, options) {
  // whatwg-url's non-strict parse asks for: CheckBidi, CheckJoiners, nontransitional, no STD3,
  // no hyphen and no DNS-length checks. Strict (validation) mode adds STD3, hyphens and lengths.
  return __marNative.domainToASCII(String(domain), Boolean(options && options.useSTD3ASCIIRules));
}

export function toUnicode() {
  throw new Error("tr46.toUnicode is not used by whatwg-url's URL parser");
}
