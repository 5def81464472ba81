#!/usr/bin/env node
// Dev-only runner for the fetch built-ins (src/api/js/30-34) and their tests, before (and
// besides) the C++ engine: it evaluates 00_prelude.js, fakes.js and the fetch files the way the
// engine does — each as the body of function (native, internal, global) { "use strict"; ... } —
// in a bare V8 context, then runs each entry of tests/js/{headers,request,response}.test.js.
//
//   node tests/js/dev_fetch/run.js [--filter TEXT] [test files...]
//       Node's vm module, a fresh context per test (like tests/js_api_test.cc).
//   node tests/js/dev_fetch/run.js --v8 [--filter TEXT] [test files...]
//       builds one script and runs it in V8 10.2 (the engine's V8, from libnode) with
//       tests/js/dev_fetch/v8shell.cc, compiled on first use into $TMPDIR/mar-dev-fetch/; this catches
//       JavaScript newer than V8 10.2. All tests share one context there.
//
// Not kept up to date: the fetch files have since come to rely on more of the built-ins than
// fakes.js provides (26_streams' internal.isReadableStream among them), and on 2026-12-03 46 of
// 78 tests passed here. tests/js_api_test.cc (`make test`) is the maintained runner.
//
// URL/URLSearchParams are Node's (Ada, the parser mar's own URL uses through libnode) in vm mode;
// the --v8 shell has none (mar's URL needs its natives), so a test that touches URL fails there
// with a message saying so.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { execFileSync, spawnSync } = require("child_process");

const root = path.resolve(__dirname, "../../..");
const jsDir = path.join(root, "src/api/js");
const builtinFiles = ["00_prelude.js", "10_dom_exception.js", path.join(__dirname, "fakes.js"), "30_headers.js", "31_body.js", "32_request.js", "33_response.js", "34_form_data.js"]
  .map((f) => (path.isAbsolute(f) ? f : path.join(jsDir, f)))
  .filter((f) => fs.existsSync(f));
const defaultTests = ["headers.test.js", "request.test.js", "response.test.js"].map((f) => path.join(root, "tests/js", f));

const args = process.argv.slice(2);
let filter = "";
let useV8 = false;
const testFiles = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--filter") filter = args[++i];
  else if (args[i] === "--v8") useV8 = true;
  else testFiles.push(path.resolve(args[i]));
}
if (testFiles.length === 0) testFiles.push(...defaultTests.filter((f) => fs.existsSync(f)));

// Build products (the shell) go outside the tree.
const buildDir = path.join(require("os").tmpdir(), "mar-dev-fetch");

function builtinScript(file) {
  return `(function (native, internal, global) { "use strict"; ${fs.readFileSync(file, "utf8")}\n})`;
}

// assert.js and a test module as a script: imports and exports removed, tests returned.
function testScript(file) {
  const assertSource = fs.readFileSync(path.join(root, "tests/js/assert.js"), "utf8").replace(/^export\s+/gm, "");
  const source = fs.readFileSync(file, "utf8")
    .replace(/^import\s+[^;]*from\s+["']\.\/assert\.js["'];?\s*$/gm, "")
    .replace(/^export\s+const\s+tests\s*=/m, "const tests =");
  if (/^\s*(import|export)\b/m.test(source)) throw new Error(`${file}: only the assert.js import and \`export const tests\` are supported here`);
  return `(function () { ${assertSource}\n${source}\nreturn tests; })()`;
}

// A fresh bare V8 context with the fetch built-ins loaded; returns the context's global object
// and the `internal` object the built-ins filled.
function makeContextFactory() {
  const scripts = builtinFiles.map((file) => new vm.Script(builtinScript(file), { filename: file }));
  return () => {
    const context = vm.createContext({});
    vm.runInContext("globalThis", context).__hostUrl = { URL: require("url").URL, URLSearchParams: require("url").URLSearchParams };
    const global = vm.runInContext("globalThis", context);
    const native = {};
    const internal = {};
    for (const script of scripts) script.runInContext(context)(native, internal, global);
    return { context, global, internal };
  };
}

async function runInVm() {
  const newContext = (() => { const make = makeContextFactory(); return () => make().context; })();
  let passed = 0;
  let failed = 0;
  for (const file of testFiles) {
    const compiled = new vm.Script(testScript(file), { filename: file });
    const names = Object.keys(compiled.runInContext(newContext()));
    for (const name of names) {
      if (filter && !name.includes(filter)) continue;
      const tests = compiled.runInContext(newContext());
      try {
        await Promise.race([
          tests[name](),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timed out after 5 s")), 5000).unref()),
        ]);
        passed++;
      } catch (error) {
        failed++;
        console.log(`FAIL ${path.basename(file)} > ${name}\n     ${(error && error.stack) || error}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

function v8Shell() {
  const binary = path.join(buildDir, "v8shell");
  const source = path.join(__dirname, "v8shell.cc");
  if (fs.existsSync(binary) && fs.statSync(binary).mtimeMs > fs.statSync(source).mtimeMs) return binary;
  const prefix = path.join(root, ".deps/libnode/usr");
  const libDir = path.join(prefix, "lib/x86_64-linux-gnu");
  fs.mkdirSync(buildDir, { recursive: true });
  execFileSync("g++", ["-std=c++17", `-I${prefix}/include/node`, source, "-o", binary, `-L${libDir}`, "-lnode", `-Wl,-rpath,${libDir}`], { stdio: "inherit" });
  return binary;
}

// A script for the V8 shell that loads the built-ins into its one context, then runs `body`
// (which sees `internal` as globalThis.__internal).
function v8Script(body) {
  let script = `;(function () {\nconst native = {}, internal = {}, global = globalThis;\n`;
  for (const file of builtinFiles) script += `${builtinScript(file)}(native, internal, global);\n`;
  script += "globalThis.__internal = internal;\n})();\n";
  return script + body;
}

function runScriptInV8(script) {
  const out = path.join(buildDir, "v8_bundle.js");
  fs.writeFileSync(out, script);
  return spawnSync(v8Shell(), [out], { stdio: "inherit" }).status ?? 1;
}

function runInV8() {
  let script = "";
  script += `const __files = [];\n`;
  for (const file of testFiles) script += `__files.push([${JSON.stringify(path.basename(file))}, ${testScript(file)}]);\n`;
  script += `
(async () => {
  let passed = 0, failed = 0;
  for (const [file, tests] of __files) {
    for (const name of Object.keys(tests)) {
      if (!name.includes(${JSON.stringify(filter)})) continue;
      try { await tests[name](); passed++; }
      catch (error) { failed++; print("FAIL " + file + " > " + name + "\\n     " + ((error && error.stack) || error)); }
    }
  }
  print(passed + " passed, " + failed + " failed");
  globalThis.__exitCode = failed === 0 ? 0 : 1;
})().catch((error) => { print("runner error: " + error.stack); globalThis.__exitCode = 2; });
`;
  process.exitCode = runScriptInV8(v8Script(script));
}

if (require.main !== module) module.exports = { makeContextFactory, v8Script, runScriptInV8 };
else if (useV8) runInV8();
else runInVm().catch((error) => { console.error(error); process.exitCode = 2; });
