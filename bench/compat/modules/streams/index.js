// Streams: ReadableStream bodies built in JS (start and pull), TransformStream (a request body
// through an upper-casing transform), reading bodies with getReader, tee, pipeTo/pipeThrough,
// errors and cancellation, queuing strategies.
import { attempt, attemptAsync } from "./lib.js";
const utf8 = (s) => new TextEncoder().encode(s);

// All bytes of a stream of Uint8Arrays, read with getReader, joined (chunk boundaries are each
// implementation's own, so only the total is answered).
async function readAll(stream) {
  const reader = stream.getReader();
  const parts = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
const upper = () =>
  new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(chunk.map((b) => (b >= 97 && b <= 122 ? b - 32 : b)));
    },
    flush(controller) {
      controller.enqueue(utf8("\n-- end of transform --\n"));
    },
  });

async function api() {
  const r = {};
  const values = new ReadableStream({
    start(c) {
      c.enqueue("a");
      c.enqueue("b");
      c.close();
    },
  });
  r.ownKeys = Object.keys(values);
  r.stringify = attempt(() => JSON.stringify({ stream: values }));
  r.lockedBefore = values.locked;
  const reader = values.getReader();
  r.lockedAfter = values.locked;
  r.secondReader = attempt(() => values.getReader());
  r.reads = [await reader.read(), await reader.read(), await reader.read()];
  reader.releaseLock();
  r.released = values.locked;
  const [t1, t2] = new ReadableStream({
    start(c) {
      c.enqueue(1);
      c.enqueue(2);
      c.close();
    },
  }).tee();
  const collect = async (s) => {
    const out = [];
    for await (const v of s) out.push(v);
    return out;
  };
  r.teeAndAsyncIteration = await attemptAsync(async () => [await collect(t1), await collect(t2)]);
  const written = [];
  await new ReadableStream({
    start(c) {
      ["x", "y", "z"].forEach((v) => c.enqueue(v));
      c.close();
    },
  }).pipeTo(new WritableStream({ write: (chunk) => void written.push(chunk), close: () => void written.push("closed") }));
  r.pipeTo = written;
  const doubled = new ReadableStream({
    start(c) {
      [1, 2, 3].forEach((v) => c.enqueue(v));
      c.close();
    },
  }).pipeThrough(new TransformStream({ transform: (v, c) => c.enqueue(v * 2) }));
  r.pipeThrough = await collect(doubled);
  const failing = new ReadableStream({
    start(c) {
      c.error(new RangeError("broken"));
    },
  });
  r.errored = await attemptAsync(() => failing.getReader().read());
  let cancelReason = null;
  const cancellable = new ReadableStream({ cancel: (reason) => void (cancelReason = reason) });
  await cancellable.cancel("stop");
  r.cancel = cancelReason;
  const strategy = new ReadableStream({}, new CountQueuingStrategy({ highWaterMark: 3 }));
  let desired = null;
  new ReadableStream({ start: (c) => void (desired = c.desiredSize) }, new ByteLengthQueuingStrategy({ highWaterMark: 10 }));
  r.strategies = [strategy.locked, desired, new CountQueuingStrategy({ highWaterMark: 3 }).size(), new ByteLengthQueuingStrategy({ highWaterMark: 1 }).size(new Uint8Array(7))];
  const ts = new TransformStream();
  const writer = ts.writable.getWriter();
  writer.write("w1");
  writer.close();
  r.identityTransform = await collect(ts.readable);
  r.writerDesiredSize = new WritableStream().getWriter().desiredSize;
  const pulls = [];
  let n = 0;
  const pulled = new ReadableStream(
    {
      pull(c) {
        pulls.push(n);
        if (++n > 3) c.close();
        else c.enqueue(n);
      },
    },
    { highWaterMark: 0 },
  );
  r.pullOnDemand = [pulls.length, await collect(pulled), pulls];
  r.from = typeof ReadableStream.from === "function" ? await collect(ReadableStream.from(["f1", "f2"])) : "absent";
  r.byteStream = await attemptAsync(async () => {
    const bytes = new ReadableStream({
      type: "bytes",
      start(c) {
        c.enqueue(new Uint8Array([1, 2, 3]));
        c.close();
      },
    });
    const byob = bytes.getReader({ mode: "byob" });
    const { value } = await byob.read(new Uint8Array(8));
    return [...value];
  });
  r.responseBodyText = new TextDecoder().decode(await readAll(new Response("read with getReader").body));
  r.responseBodyUsed = await attemptAsync(async () => {
    const res = new Response("x");
    const rd = res.body.getReader();
    await rd.read();
    return [res.bodyUsed, await attemptAsync(() => res.text())];
  });
  r.streamBodyResponse = await new Response(
    new ReadableStream({
      start(c) {
        c.enqueue(utf8("from "));
        c.enqueue(utf8("a stream"));
        c.close();
      },
    }),
  ).text();
  return r;
}

export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === "/api") return Response.json(await api());
    if (path === "/readable") {
      const lines = ["first line\n", "second line\n", "third line \u00e9\n"];
      const body = new ReadableStream({
        start(controller) {
          for (const line of lines) controller.enqueue(utf8(line));
          controller.close();
        },
      });
      return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8", "x-stream": "start" } });
    }
    if (path === "/pull") {
      let i = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (i === 5) return controller.close();
          controller.enqueue(utf8(`chunk ${i++}\n`));
        },
      });
      return new Response(body, { headers: { "x-stream": "pull" } });
    }
    if (path === "/big") {
      let i = 0;
      const chunk = new Uint8Array(16384).map((_, j) => (j * 7) & 0xff);
      const body = new ReadableStream({
        pull(controller) {
          if (i++ === 20) return controller.close();
          controller.enqueue(chunk.slice());
        },
      });
      return new Response(body);
    }
    if (path === "/transform") {
      return new Response(request.body.pipeThrough(upper()), { headers: { "content-type": "text/plain" } });
    }
    if (path === "/reader") {
      const bytes = await readAll(request.body);
      return Response.json({ bytes: bytes.length, text: new TextDecoder().decode(bytes), bodyUsed: request.bodyUsed });
    }
    if (path === "/empty-stream") {
      return new Response(new ReadableStream({ start: (c) => c.close() }));
    }
    return new Response("not found\n", { status: 404 });
  },
};
