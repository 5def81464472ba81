// fetch() (Fetch Standard §5.6), as a server runtime has it: no CORS, no cookies, no cache.
//
// The node does the transfer (libcurl on the shard's loop) and enforces the capability: every
// hop's host must match `capabilities.fetch.allow`, and a private, loopback or link-local address
// is refused after DNS resolution unless the allowlist names that address. Redirects are followed
// here, hop by hop, so each new host is checked again; the Fetch Standard's redirect rules apply
// (at most 20; 303, and 301/302 after POST, become GET without a body; Authorization is dropped
// when the origin changes; a streamed body cannot be sent twice, so a 307/308 after one fails).
//
// Entry points the node calls: internal.fetchHead(id, status, statusText, headers),
// internal.fetchFailed(id, message).

const NativePromise = Promise;
const kRedirectStatuses = new Set([301, 302, 303, 307, 308]);
const kNullBodyStatuses = new Set([101, 103, 204, 205, 304]);
const kRequestBodyHeaders = new Set(["content-encoding", "content-language", "content-location", "content-type", "content-length"]);
const kMaxRedirects = 20;

const inflight = new Map();  // transfer id -> fetch state

function headerValue(pairs, name) {
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i].toLowerCase() === name) return pairs[i + 1];
  }
  return null;
}

function fetch(input, init = undefined) {
  return new NativePromise((resolve, reject) => {
    let parts;
    try {
      const request = new internal.Request(input, init);
      parts = internal.requestParts(request);
    } catch (error) {
      reject(error);
      return;
    }
    const state = {
      resolve,
      reject,
      method: parts.method,
      url: parts.url,
      headers: parts.headers,
      body: parts.body,
      redirect: parts.redirect,
      signal: parts.signal,
      redirects: 0,
      id: 0,
      settled: false,
      bodyStarted: false,
      onAbort: null,
    };
    const signal = state.signal;
    if (signal !== null) {
      if (signal.aborted) {
        if (internal.isStreamSource(state.body)) state.body.cancel(signal.reason).catch(() => {});
        reject(signal.reason);
        return;
      }
      state.onAbort = () => abort(state);
      signal.addEventListener("abort", state.onAbort, { once: true });
    }
    startHop(state);
  });
}

function finish(state) {
  if (state.onAbort !== null) {
    state.signal.removeEventListener("abort", state.onAbort);
    state.onAbort = null;
  }
}

function fail(state, error) {
  inflight.delete(state.id);
  finish(state);
  if (!state.settled) {
    state.settled = true;
    state.reject(error);
  }
}

function abort(state) {
  const reason = state.signal.reason;
  native.fetchAbort(state.id);
  if (state.settled) {
    // The response is out: its body stream fails with the reason.
    internal.errorNativeStream(state.id, reason);
    finish(state);
    return;
  }
  fail(state, reason);
}

function startHop(state) {
  const body = state.body;
  const streamed = internal.isStreamSource(body);
  let id;
  try {
    // An actor spawned with narrower capabilities is held to them.
    const actor = internal.currentActor();
    const caps = actor !== null && actor.capsJson ? actor.capsJson : undefined;
    id = native.fetchStart(state.method, state.url, state.headers, streamed ? true : body, caps);
  } catch (error) {
    if (streamed) body.cancel(error).catch(() => {});
    fail(state, error);
    return;
  }
  state.id = id;
  inflight.set(id, state);
  if (streamed) {
    state.bodyStarted = true;
    internal.pumpToSink(id, body, "request body");
  }
}

internal.fetchFailed = (id, message) => {
  const state = inflight.get(id);
  if (state === undefined) return;
  fail(state, new TypeError(message));
};

internal.fetchHead = (id, status, statusText, headers) => {
  const state = inflight.get(id);
  if (state === undefined) return;
  inflight.delete(id);
  if (kRedirectStatuses.has(status) && state.redirect !== "manual") {
    const location = headerValue(headers, "location");
    if (location !== null) {
      native.fetchAbort(id);  // the redirect's own body is not wanted
      redirect(state, status, location);
      return;
    }
  }
  const nullBody = kNullBodyStatuses.has(status) || state.method === "HEAD";
  let body = null;
  if (nullBody) {
    native.bodyCancel(id);
    finish(state);
  } else {
    body = internal.nativeStream(id, () => finish(state));
  }
  state.settled = true;
  state.resolve(internal.newResponse(status, statusText, headers, body, state.url, state.redirects > 0));
};

// Fetch §4.4 "HTTP-redirect fetch".
function redirect(state, status, location) {
  let target;
  try {
    target = new global.URL(location, state.url);
  } catch (cause) {
    fail(state, new TypeError(`fetch ${state.url}: the redirect location ${JSON.stringify(location)} is not a valid URL`, { cause }));
    return;
  }
  if (state.redirect === "error") {
    fail(state, new TypeError(`fetch ${state.url}: redirected (${status}) to ${target.href}, and the request's redirect mode is "error"`));
    return;
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    fail(state, new TypeError(`fetch ${state.url}: redirected to ${target.href}; only http: and https: redirects are followed`));
    return;
  }
  if (target.username !== "" || target.password !== "") {
    fail(state, new TypeError(`fetch ${state.url}: redirected to a URL with credentials, which is not followed`));
    return;
  }
  if (++state.redirects > kMaxRedirects) {
    fail(state, new TypeError(`fetch ${state.url}: more than ${kMaxRedirects} redirects`));
    return;
  }
  const method = state.method;
  if ((status === 303 && method !== "GET" && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
    state.method = "GET";
    state.body = null;
    const kept = [];
    for (let i = 0; i < state.headers.length; i += 2) {
      if (!kRequestBodyHeaders.has(state.headers[i].toLowerCase())) kept.push(state.headers[i], state.headers[i + 1]);
    }
    state.headers = kept;
  } else if (state.bodyStarted) {
    fail(state, new TypeError(`fetch ${state.url}: redirected (${status}) after sending a streamed body, which cannot be sent again`));
    return;
  }
  if (new global.URL(state.url).origin !== target.origin) {
    const kept = [];
    for (let i = 0; i < state.headers.length; i += 2) {
      if (state.headers[i].toLowerCase() !== "authorization") kept.push(state.headers[i], state.headers[i + 1]);
    }
    state.headers = kept;
  }
  state.url = target.href;
  startHop(state);
}

internal.defineGlobal("fetch", fetch);
