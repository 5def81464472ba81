// The JS half of the greeter: an HTTP handler that calls the Wasm actor Greeter, which calls the
// JS actor Upper. Payloads between JS and Wasm are bytes: strings arrive in Wasm as UTF-8, and a
// Wasm reply arrives in JS as a Uint8Array.
export class Upper {
  message(bytes) {
    return new TextDecoder().decode(bytes).toUpperCase();
  }
}

export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("name") || "world";
    const reply = await env.ACTORS.get("Greeter/main").call(name, { timeoutMs: 2000 });
    return new Response(reply, { headers: { "content-type": "text/plain;charset=UTF-8" } });
  },
};
