import { assert, assertEquals, assertThrows } from "./assert.js";
import { cases } from "./url_cases.js";

// Expected values: the WHATWG URL Standard as Node's URL (Ada) computes it; regenerate them with
// tests/js/dev/make_url_cases.mjs.
const kParts = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
const parts = (url) => Object.fromEntries(kParts.map((key) => [key, url[key]]));
const label = (c) => JSON.stringify(c.base === undefined ? c.input : [c.input, c.base]);

function mismatches(list, check) {
  const wrong = [];
  for (const c of list) {
    try {
      const problem = check(c);
      if (problem) wrong.push(problem);
    } catch (error) {
      wrong.push(`${label(c)} threw ${error && error.name}: ${error && error.message}`);
    }
  }
  return wrong;
}

// "" when the URL parses to `c.expected`, else what differs.
function checkParse(c) {
  const got = parts(new URL(c.input, c.base));
  const bad = kParts.filter((key) => got[key] !== c.expected[key]);
  return bad.length ? `${label(c)}: ${bad.map((key) => `${key} ${JSON.stringify(got[key])} != ${JSON.stringify(c.expected[key])}`).join(", ")}` : "";
}

// "" when setting `c.key` on a URL of `c.href` gives `c.expected` (and, with `c.params`, when a
// searchParams made before the change follows it), else what differs.
function checkSetter(c) {
  const what = `${c.href} .${c.key} = ${JSON.stringify(c.value)}`;
  const url = new URL(c.href);
  const params = url.searchParams;
  let threw = false;
  try {
    url[c.key] = c.value;
  } catch (error) {
    threw = true;
    if (!(error instanceof TypeError)) return `${what} threw ${error.name}`;
  }
  if (threw !== c.threw) return `${what}: threw ${threw}`;
  const got = parts(url);
  const bad = kParts.filter((key) => got[key] !== c.expected[key]);
  if (bad.length) return `${what}: ${bad.map((key) => `${key} ${JSON.stringify(got[key])} != ${JSON.stringify(c.expected[key])}`).join(", ")}`;
  if (c.params && JSON.stringify([...params]) !== JSON.stringify(c.params)) return `${what}: searchParams ${JSON.stringify([...params])}`;
  return "";
}

export const tests = {
  "URL parses as the standard says: every component": () => {
    assertEquals(mismatches(cases.parses, checkParse), []);
  },

  "URL parses 300 seeded random inputs as the standard says": () => {
    assertEquals(mismatches(cases.randomParses, checkParse), []);
  },

  "300 seeded random setter calls change what the standard says, searchParams following": () => {
    assertEquals(mismatches(cases.randomSetters, checkSetter), []);
  },

  "URL refuses what the standard refuses, with a TypeError": () => {
    const wrong = mismatches(cases.failures, (c) => {
      try {
        const url = new URL(c.input, c.base);
        return `${label(c)} parsed as ${url.href}`;
      } catch (error) {
        return error instanceof TypeError ? "" : `${label(c)} threw ${error.name}, not TypeError`;
      }
    });
    assertEquals(wrong, []);
  },

  "URL.canParse agrees with the constructor": () => {
    const wrong = mismatches(cases.canParse, (c) => (URL.canParse(c.input, c.base) === c.expected ? "" : `${label(c)}: ${!c.expected}`));
    assertEquals(wrong, []);
  },

  "setters change what the standard says they change": () => {
    assertEquals(mismatches(cases.setters, checkSetter), []);
  },

  "URLSearchParams parses, edits and serializes as the standard says": () => {
    const wrong = mismatches(cases.params, (c) => {
      const p = new URLSearchParams(c.init);
      const edited = new URLSearchParams(c.init);
      edited.append("n", "v w");
      edited.set("a", "x&y");
      edited.delete("b");
      edited.sort();
      const got = { entries: [...p], string: p.toString(), size: p.size, edited: edited.toString() };
      for (const key of Object.keys(got)) {
        if (JSON.stringify(got[key]) !== JSON.stringify(c[key])) return `${JSON.stringify(c.init)}: ${key} ${JSON.stringify(got[key])} != ${JSON.stringify(c[key])}`;
      }
      return "";
    });
    assertEquals(wrong, []);
  },

  "searchParams and search stay in step, both ways": () => {
    const url = new URL("https://h/p?a=1&b=2#f");
    const params = url.searchParams;
    assert(url.searchParams === params, "the same object each time");
    params.append("c", "3 4");
    assertEquals(url.href, "https://h/p?a=1&b=2&c=3+4#f");
    params.delete("a");
    params.delete("b");
    params.delete("c");
    assertEquals(url.search, "");
    assertEquals(url.href, "https://h/p#f");
    url.search = "?x=y&x=z";
    assertEquals(params.getAll("x"), ["y", "z"]);
    url.href = "http://other/?k=v";
    assertEquals(params.get("k"), "v");
    assertEquals(params.size, 1);
  },

  "URL is a WebIDL interface: strings, JSON, brand checks": () => {
    const url = new URL("https://example.com/a?b#c");
    assertEquals(String(url), url.href);
    assertEquals(url.toJSON(), url.href);
    assertEquals(JSON.stringify({ url }), '{"url":"https://example.com/a?b#c"}');
    assertEquals(Object.prototype.toString.call(url), "[object URL]");
    assertEquals(Object.prototype.toString.call(url.searchParams), "[object URLSearchParams]");
    const href = Object.getOwnPropertyDescriptor(URL.prototype, "href");
    assertThrows(() => href.get.call({}), TypeError);
    assertThrows(() => URL(""), TypeError);
    assertEquals(new URL(new URL("https://h/x"), "http://ignored/").href, "https://h/x");
    assertEquals(new URL("y", new URL("https://h/a/x")).href, "https://h/a/y");
  },
};
