// Dev-only runner for the built-in JS tests without the mar binary: Node's `vm` gives a bare V8
// context (no Node globals); the built-ins are evaluated there exactly as mar does it, with
// JS fakes of the `native` functions. Usage:
//   node tests/js/dev/run.mjs [filter...]      (re-executes itself with --experimental-vm-modules)
// Runs tests/js/*.test.js and tests/js/dev/*.devtest.js (the latter may read the log records the
// fake native.log captured, as globalThis.__devLogs = [[level, message], ...]).
import vm from "node:vm";
import fs from "node:fs";
import path from "node:path";
import nodeCrypto from "node:crypto";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

if (typeof vm.SourceTextModule !== "function") {
  const result = spawnSync(process.execPath, ["--experimental-vm-modules", "--no-warnings", ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(result.status ?? 1);
}

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const builtinDir = path.join(repo, "src/api/js");
// The built-ins this runner can host: the prelude, timers (with faked natives) and the files that
// need only the natives faked below.
const hosted = /^(00_prelude|05_timers|1\d_.*|2\d_.*)\.js$/;

function fakeNative(ctx, logs) {
  const g = (name) => vm.runInContext(name, ctx);
  const CtxUint8Array = g("Uint8Array");
  const CtxTypeError = g("TypeError");
  const CtxArray = g("Array");
  const toCtxBuffer = (buffer) => new CtxUint8Array(buffer).buffer;
  const hashes = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
  const start = performance.now();
  const timeOrigin = Date.now();
  const cloneSource = fs.readFileSync(path.join(here, "fake_clone.js"), "utf8");
  const native = {
    log(level, message) {
      if (!["debug", "info", "warn", "error"].includes(level) || typeof message !== "string") {
        throw new Error(`native.log called with (${typeof level} ${level}, ${typeof message})`);
      }
      logs.push(CtxArray.of(level, message));
      if (process.env.DEV_VERBOSE) console.log(`[${level}] ${message}`);
    },
    utf8Encode: (string) => new CtxUint8Array(Buffer.from(string, "utf8")),
    utf8EncodeInto(string, bytes) {
      const { read, written } = new TextEncoder().encodeInto(string, bytes);
      return CtxArray.of(read, written);
    },
    utf8Decode(bytes, fatal) {
      try {
        return new TextDecoder("utf-8", { fatal, ignoreBOM: true }).decode(bytes);
      } catch {
        throw new CtxTypeError("The encoded data was not valid utf-8");
      }
    },
    randomFill: (view) => { nodeCrypto.randomFillSync(view); },
    randomUUID: () => nodeCrypto.randomUUID(),
    digest: (algorithm, bytes) => toCtxBuffer(nodeCrypto.createHash(hashes[algorithm]).update(bytes).digest()),
    hmac: (hash, key, data) => toCtxBuffer(nodeCrypto.createHmac(hashes[hash], key).update(data).digest()),
    timingSafeEqual: (a, b) => nodeCrypto.timingSafeEqual(a, b),
    now: () => performance.now() - start,
    timeOrigin,
    structuredClone: vm.runInContext(cloneSource, ctx, { filename: "fake_clone.js" }),
    // For 05_timers.js.
    eventEpoch: new Uint32Array(1),
    armTimer(deadline) {
      clearTimeout(native.armed);
      native.armed = setTimeout(() => native.internalForTimers.runTimers(), Math.max(0, deadline - native.now()));
    },
    runMicrotasks() {},
  };
  return native;
}

async function loadTests(ctx, file) {
  const linker = async (specifier, referencing) => {
    const target = path.resolve(path.dirname(referencing.identifier), specifier);
    const resolved = fs.existsSync(target) ? target : path.join(repo, "tests/js", path.basename(specifier));
    const module = new vm.SourceTextModule(fs.readFileSync(resolved, "utf8"), { context: ctx, identifier: resolved });
    await module.link(linker);
    return module;
  };
  const module = new vm.SourceTextModule(fs.readFileSync(file, "utf8"), { context: ctx, identifier: file });
  await module.link(linker);
  await module.evaluate();
  return module.namespace.tests;
}

function newContext() {
  const ctx = vm.createContext({}, { codeGeneration: { strings: false, wasm: true } });
  const logs = vm.runInContext("[]", ctx);
  const native = fakeNative(ctx, logs);
  const internal = vm.runInContext("({ capabilities: { timers: true } })", ctx);
  const global = vm.runInContext("globalThis", ctx);
  native.internalForTimers = internal;
  for (const name of fs.readdirSync(builtinDir).filter((n) => hosted.test(n)).sort()) {
    const source = fs.readFileSync(path.join(builtinDir, name), "utf8");
    const fn = vm.runInContext(`(function (native, internal, global) { "use strict"; ${source}\n})`, ctx, { filename: name });
    fn(native, internal, global);
  }
  // The runner's own handles; not visible to the built-ins' contract.
  Object.defineProperty(global, "__internal", { value: internal, enumerable: false });
  Object.defineProperty(global, "__devLogs", { value: logs, enumerable: false });
  return ctx;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// By default, the test files whose modules this runner can host.
const kHostedTests = ["dom_exception", "events", "abort", "console", "encoding", "base64", "crypto", "performance", "structured_clone"];
const filters = process.argv.slice(2);
const files = [
  ...fs.readdirSync(path.join(repo, "tests/js")).filter((n) => n.endsWith(".test.js")).map((n) => path.join(repo, "tests/js", n)),
  ...fs.readdirSync(here).filter((n) => n.endsWith(".devtest.js")).map((n) => path.join(here, n)),
].filter((file) => (filters.length === 0 ? file.endsWith(".devtest.js") || kHostedTests.some((name) => file.endsWith(`/${name}.test.js`)) : filters.some((f) => file.includes(f))));

let passed = 0;
let failed = 0;
for (const file of files) {
  let names;
  try {
    names = Object.keys(await loadTests(newContext(), file));
  } catch (error) {
    failed++;
    console.log(`FAIL ${path.relative(repo, file)} (load): ${error && error.stack}`);
    continue;
  }
  for (const name of names) {
    const ctx = newContext();  // a fresh context per test, as tests/js_api_test.cc does
    try {
      const tests = await loadTests(ctx, file);
      await withTimeout(Promise.resolve().then(() => tests[name]()), 5000, name);
      passed++;
      if (process.env.DEV_VERBOSE) console.log(`ok   ${path.basename(file)}: ${name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${path.basename(file)}: ${name}\n     ${error && (error.stack || error)}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
