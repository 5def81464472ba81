import { greet } from "./lib/greet.js";
import * as math from "/lib/math.mjs";
export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/dynamic") {
      const { square } = await import("./lib/math.mjs");
      return new Response(String(square(7)));
    }
    if (pathname === "/dynamic-missing") {
      try { await import("./lib/nope.js"); } catch (e) { return new Response(`${e.name}: ${e.message}`); }
    }
    if (pathname === "/dynamic-bare") {
      try { await import("lodash"); } catch (e) { return new Response(`${e.name}: ${e.message}`); }
    }
    if (pathname === "/caps") {
      const out = [];
      try { setTimeout(() => {}, 1); } catch (e) { out.push(e.message); }
      try { await env.GPU.createBuffer(16); } catch (e) { out.push(e.message); }
      try { await fetch("https://example.com/"); } catch (e) { out.push(`${e.name}: ${e.message}`); }
      return new Response(out.join("\n"));
    }
    return new Response(`${greet(env.WHO)} ${math.square(3)}`);
  },
};
