// The glue between the node and a bundle: configuration (capabilities and `env`), the main
// module's handlers, and HTTP request dispatch into `default.fetch(request, env, ctx)`.

let env = null;
let handler = null;

// Captured before user code runs: a bundle that replaces Promise.prototype.then must not be able to
// stall the runtime's own request dispatch.
const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;
const promiseResolve = Promise.resolve.bind(Promise);
const promiseReject = Promise.reject.bind(Promise);
const then = (promise, onFulfilled, onRejected) => apply(promiseThen, promise, [onFulfilled, onRejected]);

// Capability objects for what the manifest did not grant (or this build cannot provide): they
// exist so that using them fails with one clear message naming the manifest key.
function refusingCapability(bindingName, message) {
  return new Proxy(Object.freeze({}), {
    get(target, property) {
      if (property === Symbol.toStringTag) return bindingName;
      if (typeof property === "symbol" || property === "then") return undefined;
      return () => promiseReject(new Error(`env.${bindingName}.${String(property)}: ${message}`));
    },
  });
}

const capabilityBindings = [
  // [env binding, capability key, what this build says when the capability is granted]
  ["CAMERA", "camera", "camera capture is not available in this version of mar yet"],
];

let envVars = {};
let wasmClasses = [];  // the bundle's WebAssembly actor classes, as the node describes them
let wasmOnly = false;  // main is a .wasm module: there is no JS module at all

// An env for a capability set: the manifest's variables, then one binding per capability. A
// capability that is absent still has its binding, which refuses with the manifest key to add.
// `actor`: the actor record the env is for (its GPU binding is its own), undefined for the
// bundle's default handler.
internal.buildEnv = (capabilities, capsJson = "", actor = undefined) => {
  const built = {};
  for (const [key, value] of Object.entries(envVars)) built[key] = value;
  const has = (key) => Object.prototype.hasOwnProperty.call(capabilities, key);
  built.ACTORS = has("actors")
    ? internal.newActorsBinding(capsJson)
    : refusingCapability("ACTORS", `capability "actors" is not granted to this bundle; add "capabilities.actors" to mar.json`);
  built.GPU = has("gpu")
    ? internal.newGpuBinding(capabilities.gpu, actor)
    : refusingCapability("GPU", `capability "gpu" is not granted to this bundle; add "capabilities.gpu" to mar.json`);
  for (const [binding, key, unavailable] of capabilityBindings) {
    built[binding] = refusingCapability(
      binding,
      has(key) ? unavailable : `capability "${key}" is not granted to this bundle; add "capabilities.${key}" to mar.json`,
    );
  }
  return Object.freeze(built);
};

internal.configure = (config) => {
  internal.capabilities = Object.freeze(config.capabilities || {});
  envVars = config.env || {};
  wasmClasses = config.wasm || [];
  wasmOnly = config.wasmOnly === true;
  env = internal.buildEnv(internal.capabilities);
  internal.env = env;
  internal.configureActors(config, env);
};

function isClass(value) {
  return typeof value === "function" && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

internal.registerModule = (namespace) => {
  const exported = namespace.default;
  const hasFetch = exported !== null && typeof exported === "object" && typeof exported.fetch === "function";
  if (exported !== undefined && !hasFetch && !isClass(exported)) {
    if (exported === null || typeof exported !== "object") {
      throw new TypeError("the default export must be an object with a fetch(request, env, ctx) method");
    }
  }
  handler = hasFetch ? exported : null;
  const classes = [];
  const table = { __proto__: null };
  for (const name of Object.keys(namespace)) {
    if (name !== "default" && isClass(namespace[name])) {
      classes.push(name);
      table[name] = namespace[name];
    }
  }
  for (const spec of wasmClasses) {
    if (table[spec.name] !== undefined) {
      throw new TypeError(`class ${spec.name} is exported by the main module and also configured as WebAssembly (classes.${spec.name}.wasm in mar.json)`);
    }
    table[spec.name] = internal.wasmActorClass(spec, native.wasmModule(spec.name));
    classes.push(spec.name);
  }
  internal.registerActorClasses(table, classes);
  return { hasFetch, classes };
};

function respond(id, response) {
  if (!internal.isResponse(response)) {
    native.respondError(id, new TypeError(`the fetch handler must return a Response, got ${response === null ? "null" : typeof response}`));
    return;
  }
  let parts;
  try {
    parts = internal.responseParts(response);
  } catch (error) {
    native.respondError(id, error);
    return;
  }
  const body = parts.body;
  if (internal.isStreamSource(body)) {
    // A ReadableStream: the head goes now, the chunks as the stream produces them.
    native.respond(id, parts.status, parts.statusText, parts.headers, true);
    internal.pumpToSink(id, body);
    return;
  }
  native.respond(id, parts.status, parts.statusText, parts.headers, body);
}

class ExecutionContext {
  waitUntil(promise) {
    // Keeps the work going after the response (a draining node waits for it, within its drain
    // timeout); failures are logged rather than lost.
    native.backgroundWork(1);
    then(promiseResolve(promise), () => native.backgroundWork(-1), (error) => {
      native.backgroundWork(-1);
      internal.reportError(error);
    });
  }
  passThroughOnException() {
    throw new TypeError("ctx.passThroughOnException() is not supported by mar: there is no origin to pass through to");
  }
}
internal.brand(ExecutionContext);

// HTTP statuses for the ways a routed actor request can fail (details go to the log).
const kActorErrorStatus = {
  not_found: 404, denied: 403, invalid_argument: 400, timeout: 504, mailbox_full: 503, crashed: 503, unavailable: 503,
};

// /actors/<Class>/<name>/... for a class whose manifest entry has "http": true: the request goes to
// that actor's fetch() (the node checked the class; `actor` is its address).
let routeBinding = null;
function dispatchToActor(id, actor, request) {
  let stub;
  try {
    routeBinding ||= internal.newActorsBinding("");
    stub = routeBinding.get(actor);
  } catch (error) {
    actorRouteFailed(id, error);
    return;
  }
  then(stub.fetch(request), (response) => respond(id, response), (error) => actorRouteFailed(id, error));
}
function actorRouteFailed(id, error) {
  const status = error instanceof internal.ActorError ? kActorErrorStatus[error.code] : undefined;
  if (status === undefined) {
    native.respondError(id, error);
    return;
  }
  native.log("warn", `actor route: ${error.code}: ${error.message}`);
  native.respond(id, status, "", ["content-type", "text/plain;charset=UTF-8"], `${error.code}\n`);
}

internal.dispatchFetch = (id, method, url, headers, body, actor) => {
  internal.touchClock();
  if (actor !== undefined) {
    const request = internal.newIncomingRequest(method, url, headers, body === true ? internal.nativeStream(id) : body);
    dispatchToActor(id, actor, request);
    return;
  }
  if (handler === null) {
    if (wasmOnly) {
      // A WebAssembly bundle answers only at its actors' routes.
      const routes = wasmClasses.map((spec) => `/actors/${spec.name}/<name>`).join(", ");
      native.respond(id, 404, "", ["content-type", "text/plain;charset=UTF-8"],
        `this bundle is a WebAssembly actor; send requests to ${routes}\n`);
      return;
    }
    native.respondError(id, new TypeError("this bundle has no default export with a fetch() handler"));
    return;
  }
  let result;
  try {
    // body: null, the bytes, or true when the body is still on the socket (a native stream).
    const request = internal.newIncomingRequest(method, url, headers, body === true ? internal.nativeStream(id) : body);
    result = handler.fetch(request, env, new ExecutionContext());
  } catch (error) {
    native.respondError(id, error);
    return;
  }
  if (internal.isResponse(result)) {
    respond(id, result);  // synchronous handlers answer without a promise round trip
  } else {
    then(promiseResolve(result),
      (response) => respond(id, response),
      (error) => native.respondError(id, error),
    );
  }
};
