# workerd peer of the HTTP -> actor bench (bench/actors/actors_bench.py): a Workers module whose
# /hello answers a constant and whose /call makes one round trip to a Durable Object ("Echo",
# in-memory storage) by JS RPC (/call) or by stub.fetch (/callfetch). The address here is a default:
# the driver sets the port with `workerd serve actors.capnp --socket-addr http=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .actorsWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8081", http = (), service = "main") ]
);

const actorsWorker :Workerd.Worker = (
  modules = [ (name = "actors.js", esModule = embed "actors.js") ],
  compatibilityDate = "2024-04-03",
  durableObjectNamespaces = [ (className = "Echo", uniqueKey = "mar-actors-bench-echo") ],
  durableObjectStorage = (inMemory = void),
  bindings = [ (name = "ECHO", durableObjectNamespace = (className = "Echo")) ]
);
