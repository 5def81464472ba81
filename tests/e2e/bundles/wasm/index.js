// The JS side of the Wasm actor tests: HTTP routes that drive Wasm actors through env.ACTORS and
// answer JSON outcomes; and a JS actor (Shout) for Wasm actors to call.
const decoder = new TextDecoder();
const text = (value) => (value instanceof Uint8Array ? decoder.decode(value) : value);

export class Shout {
  message(msg, ctx) {
    if (!(msg instanceof Uint8Array)) return `not bytes: ${typeof msg}`;
    const words = decoder.decode(msg);
    if (words === "throw") throw new RangeError("Shout refuses");
    if (words === "slow") return new Promise(() => {});
    return `${words.toUpperCase()} (from ${ctx.sender})`;
  }
}

async function outcome(promise) {
  try {
    const value = await promise;
    return { ok: true, value: text(value), bytes: value instanceof Uint8Array };
  } catch (error) {
    return { ok: false, name: error.name, code: error.code, message: error.message };
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const to = q.get("to") || "Probe/a";
    const timeoutMs = Number(q.get("timeout") || 3000);
    switch (url.pathname) {
      case "/call":
        return Response.json(await outcome(env.ACTORS.get(to).call(q.get("msg") ?? "", { timeoutMs })));
      case "/send":
        return Response.json(await outcome(env.ACTORS.get(to).send(q.get("msg") ?? "")));
      case "/json": {
        // Structured payloads reach Wasm as JSON text; bytes and strings as they are.
        const stub = env.ACTORS.get(to);
        await stub.send({ a: 1, b: [true, null] });
        await stub.send(new Uint8Array([0x68, 0x69]));
        await stub.send("str");
        await stub.send(42);
        return Response.json(await outcome(stub.call("log")));
      }
      case "/fifo": {
        const stub = env.ACTORS.get(to);
        const n = Number(q.get("n") || 20);
        const sends = [];
        for (let i = 0; i < n; i++) sends.push(stub.send(String(i)));
        await Promise.all(sends);
        return Response.json(await outcome(stub.call("log")));
      }
      case "/grow": {
        const reply = await env.ACTORS.get(to).call("grow");
        return Response.json({ pages: new DataView(reply.buffer, reply.byteOffset, 4).getUint32(0, true) });
      }
      case "/spawn": {
        const stub = await env.ACTORS.spawn(q.get("class") || "Probe");
        return Response.json({ id: stub.id, count: text(await stub.call("count")) });
      }
      case "/many": {
        // Calls into n distinct Wasm actors at once (each its own instance).
        const n = Number(q.get("n") || 100);
        const calls = [];
        for (let i = 0; i < n; i++) calls.push(env.ACTORS.get(`Probe/many-${i}`).call("count"));
        const replies = (await Promise.all(calls)).map(text);
        return Response.json({ distinct: new Set(replies).size, first: replies[0] });
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
