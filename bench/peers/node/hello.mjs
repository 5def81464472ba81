// Node 20 peer of the HTTP benches (bench/peers/mar/hello.js), on node:http: GET answers the hello
// bytes; POST parses the JSON body and answers it re-serialized (what Response.json does).
import http from "node:http";
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
const LENGTH = String(Buffer.byteLength(BODY)); // without it Node answers chunked
const port = Number(process.argv[2] || 8081);
http.createServer((req, res) => {
  if (req.method !== "POST" && req.url.includes("/greet")) {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const out = `hello ${url.searchParams.get("name")} from ${url.pathname}\n`;
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": String(Buffer.byteLength(out)) });
    res.end(out);
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": LENGTH });
    res.end(BODY);
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const out = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(out)) });
    res.end(out);
  });
}).listen(port, "127.0.0.1");
