// Writes tests/js/url_cases.js: URL and URLSearchParams cases with the values the WHATWG URL
// Standard gives, as computed by Node's URL (Ada, a conformant C++ parser) — an implementation
// independent of the one mar ships, so the test checks mar against the standard, not itself.
// Run with Node 20 or later: node tests/js/dev/make_url_cases.mjs
import { writeFileSync } from "node:fs";

const kParts = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
const parts = (url) => Object.fromEntries(kParts.map((key) => [key, url[key]]));

const parses = [
  ["https://user:pass@Example.COM:8443/a/b/../c/./d?x=1&y=%20z#frag"],
  ["http://example.com:80/"], ["https://example.com:443/p"], ["ws://h:80/"], ["wss://h:443/"], ["ftp://h:21/f"],
  ["HTTP://EXAMPLE.com/Path"], ["http://example.com/a b?c d#e f"], ["http://example.com/ä?ö#ü"],
  ["http://Bücher.example/"], ["http://xn--bcher-kva.example/"], ["http://example.com./x"],
  ["http://0x7f.1/"], ["http://127.1/"], ["http://192.168.0.257/"], ["http://[::1]:8080/x"], ["http://[2001:DB8:0:0:1:0:0:1]/"],
  ["http://[::ffff:192.168.1.1]/"], ["http:\\\\a\\b\\c"], ["http://a/%2e%2E/b"], ["http://h/a/b/c/../../d"],
  ["http://u@h/"], ["http://:p@h/"], ["http://@h/"], ["http://h:/"], ["http://h:0065535/"],
  ["http://h/?"], ["http://h/#"], ["http://h/?q=a+b&r=%2B#x y"], ["http://h/p;q?x"],
  ["mailto:someone@example.com"], ["data:text/plain,hello%20world"], ["javascript:alert(1)"], ["foo://host/path?q#f"],
  ["foo:/p/./q/../r"], ["foo:opaque path with spaces "], ["blob:https://example.com/uuid"], ["urn:isbn:0451450523"],
  ["file:///tmp/a%20b.txt"], ["file://server/share/x"], ["file:///C:/Windows/"], ["file:c:\\x\\y"],
  ["  \t http://trim.example/ \n "], ["http://ex\tam\nple.com/"],
  ["../x/y?z", "http://h/a/b/c"], ["?q=1", "http://h/a/b?old#f"], ["#h2", "http://h/a?q#h1"], ["//other/p", "https://h/a"],
  ["/abs", "http://h:81/a/b"], ["", "http://h/a?b#c"], [".", "http://h/a/b/"], ["..", "http://h/a/b/"],
  ["x", "foo://h/a/b"], ["https:rel", "https://h/a/"], ["http:/x", "https://h/"],
];
const failures = [
  ["http://"], ["http://a b/"], ["://x"], ["http://[::1/"], [""], ["/relative"], ["http://h:99999/"],
  ["http://h:port/"], ["http://[:::1]/"], ["http://%zz/"], ["https://exa%23mple.org/"], ["x", "mailto:a@b"], ["http://ho st/"],
];
const setters = [
  ["http://h/p", "protocol", "https"], ["http://h/p", "protocol", "foo"], ["foo://h/p", "protocol", "http"],
  ["http://h:81/p", "port", "8080"], ["http://h:81/p", "port", ""], ["http://h/p", "port", "80"], ["http://h/p", "port", "abc"],
  ["http://h/p", "port", "123abc"], ["http://h/p", "host", "other:99"], ["http://h/p", "hostname", "x.y"],
  ["http://h/p", "hostname", "a b"], ["http://h/p", "pathname", "/a b/ä/../c"], ["http://h/p", "pathname", "no-slash"],
  ["http://h/p", "search", "a=b c&d"], ["http://h/p?x", "search", ""], ["http://h/p", "search", "??q"],
  ["http://h/p", "hash", "top"], ["http://h/p#x", "hash", ""], ["http://h/p", "hash", "#a b"],
  ["http://h/p", "username", "us er"], ["http://h/p", "password", "p@ss:w"], ["http://u:p@h/p", "username", ""],
  ["file:///x", "username", "u"], ["http://h/p", "href", "https://new.example/q?r#s"],
];
const params = [
  "a=1&b=2&a=3", "a b=c+d&%41=%42", "x&y=&=z", "?q=1", "é=ü&emoji=%F0%9F%98%80", "a=%zz&b=%", "",
];

// An input meant to parse that the standard refuses is a failure case instead (and said so).
for (const [input, base] of [...parses]) {
  if (!URL.canParse(input, base)) {
    parses.splice(parses.findIndex((c) => c[0] === input && c[1] === base), 1);
    failures.push([input, base]);
    console.log(`refused: ${JSON.stringify(input)}`);
  }
}
// Seeded random inputs and setter calls built from pieces that reach the parser's corners
// (schemes, authorities, IPv4/IPv6 forms, percent signs, dots, backslashes, non-ASCII).
let seed = 7;
const pick = (list) => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return list[seed % list.length];
};
const kPieces = ["http:", "https:", "file:", "foo:", "ws:", "mailto:", "data:", "//", "/", "\\", "@", ":", "user", "pw",
  "a.b", "[::1]", "127.0.0.1", "0x7f.1", "ä", "%41", "%", "?", "#", "&", "=", "..", ".", "x y", ":8080", ":80", "",
  "Ü.example", "xn--", "\t", "~", "!", "$"];
const randomParses = [];
while (randomParses.length < 300) {
  let input = "";
  for (let j = 0, k = 2 + (pick([0, 1, 2, 3, 4, 5, 6, 7])); j < k; j++) input += pick(kPieces);
  const base = pick([undefined, undefined, "https://base.example/a/b?q#f"]);
  if (URL.canParse(input, base)) randomParses.push({ input, base, expected: parts(new URL(input, base)) });
}
const kValues = ["http", "https:", "file", "foo", "ws", "", "a.b", "[::1]", "x y", "8080", "80", "-1", "99999", "ä",
  "%41", "?a=b", "#h", "/p/../q", "u:p", "h:1", "@", "\\", "..", "q=1&r=2", "Ü"];
const randomSetters = [];
for (let i = 0; i < 300; i++) {
  const href = pick(randomParses).expected.href;
  const key = pick(["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]);
  const value = pick(kValues) + pick(["", pick(kValues)]);
  const url = new URL(href);
  let threw = false;
  try { url[key] = value; } catch { threw = true; }
  randomSetters.push({ href, key, value, threw, expected: parts(url), params: [...url.searchParams] });
}

const cases = {
  randomParses,
  randomSetters,
  parses: parses.map(([input, base]) => ({ input, base, expected: parts(new URL(input, base)) })),
  failures: failures.map(([input, base]) => ({ input, base })),
  setters: setters.map(([href, key, value]) => {
    const url = new URL(href);
    let threw = false;
    try { url[key] = value; } catch { threw = true; }
    return { href, key, value, threw, expected: parts(url) };
  }),
  params: params.map((init) => {
    const p = new URLSearchParams(init);
    const edited = new URLSearchParams(init);
    edited.append("n", "v w");
    edited.set("a", "x&y");
    edited.delete("b");
    edited.sort();
    return { init, entries: [...p], string: p.toString(), size: p.size, edited: edited.toString() };
  }),
  canParse: [...parses, ...failures].map(([input, base]) => ({ input, base, expected: URL.canParse(input, base) })),
};
const text = "// Generated by tests/js/dev/make_url_cases.mjs from Node's URL (Ada). Do not edit.\n" +
  `export const cases = ${JSON.stringify(cases)};\n`;
writeFileSync(new URL("../url_cases.js", import.meta.url), text);
console.log(`${cases.parses.length} parses, ${cases.failures.length} failures, ${cases.setters.length} setters, ${cases.params.length} params`);
