# workerd config for bench/peers/workerd/hello.js. The address here is a default: bench/http.py
# sets the port with `workerd serve hello.capnp --socket-addr http=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .helloWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8081", http = (), service = "main") ]
);

const helloWorker :Workerd.Worker = (
  modules = [ (name = "hello.js", esModule = embed "hello.js") ],
  compatibilityDate = "2024-01-01"
);
