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
  ["ACTORS", "actors", "actor messaging is not available in this version of mar yet"],
  ["GPU", "gpu", "GPU compute is not available in this version of mar yet"],
  ["CAMERA", "camera", "camera capture is not available in this version of mar yet"],
];

internal.configure = (config) => {
  internal.capabilities = Object.freeze(config.capabilities || {});
  env = {};
  for (const [key, value] of Object.entries(config.env || {})) env[key] = value;
  for (const [binding, key, unavailable] of capabilityBindings) {
    const granted = Object.prototype.hasOwnProperty.call(internal.capabilities, key);
    env[binding] = refusingCapability(
      binding,
      granted ? unavailable : `capability "${key}" is not granted to this bundle; add "capabilities.${key}" to mar.json`,
    );
  }
  Object.freeze(env);
  internal.env = env;
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
  for (const name of Object.keys(namespace)) {
    if (name !== "default" && isClass(namespace[name])) classes.push(name);
  }
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

internal.dispatchFetch = (id, method, url, headers, body) => {
  if (handler === null) {
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
