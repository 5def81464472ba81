// Node 20 peer of examples/hello: plain text on every path.
import http from "node:http";
const port = Number(process.argv[2] || 8081);
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain;charset=UTF-8" });
  res.end("hello from node\n");
}).listen(port, "127.0.0.1");
