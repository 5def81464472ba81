// Node 20 peer of examples/hello: http.createServer answering the same bytes as mar on every path.
import http from "node:http";
const BODY = "hello from mar\n"; // examples/hello's body, byte for byte
const LENGTH = String(Buffer.byteLength(BODY)); // without it Node answers chunked
const port = Number(process.argv[2] || 8081);
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": LENGTH });
  res.end(BODY);
}).listen(port, "127.0.0.1");
