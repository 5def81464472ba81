// C++ Actor Framework (CAF 0.17) side of bench/actors/actors_bench.py: the actor workloads of
// issue 4 with event-based actors and plain messages, one workload per process (a fresh process
// each time, as mar gets a fresh node and Erlang a fresh VM). Prints one JSON object per line on
// stdout, as bench/actors/erlang/actors_bench.erl does; the driver parses the lines that start
// with '{'. The driver compiles this file at bench time:
//
//   g++ -O2 -std=c++17 actors_bench.cpp -o actors_bench -lcaf_core -pthread
//   actors_bench [--threads T] pingpong N ROUNDS
//   actors_bench [--threads T] ring ACTORS HOPS ROUNDS
//   actors_bench [--threads T] spawn N
//
// --threads sets CAF's scheduler.max-threads (the driver passes 1 when it pins the process to one
// CPU, as it runs Erlang with +S 1:1 and mar with --shards 1); without it CAF starts one worker
// per core.
//
// Every workload runs inside a driver actor on the scheduler (the Erlang workloads run in the
// main process of the VM, mar's in the fetch handler), which times itself with steady_clock and
// prints its lines; the main thread only waits for it and then ends the process at once, as
// Erlang's halt() does (the ring's actors reference each other, so CAF would never collect them).
//
// pingpong: the caller does request(pong, infinite, i).then(...) N times in sequence (CAF's
//   request/response, the analogue of gen_server:call and of mar's `call`); the callee returns
//   the message. A warm-up of N / 10 calls, then one line per round: the mean ns per round trip.
// ring: ACTORS actors, each told its successor by a message; a token (token, H) goes round with
//   send HOPS times; the actor that sees H = 0 tells the driver. A warm-up of HOPS / 10 hops,
//   then one line per round: ns per hop.
// spawn: N actors each waiting for a message that never comes; seconds until every one of them
//   has run its initialization (make_behavior: the point where it waits, as an Erlang process in
//   `receive`), and this process's VmRSS before and after (from /proc/self/status). A warm-up of
//   1,000 spawns comes first and stays alive. The handles are kept in a vector reserved up front
//   (8 B per actor, counted in the RSS): CAF ends an actor once the last handle to it is gone.
#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using next_atom = caf::atom_constant<caf::atom("next")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using ring_done_atom = caf::atom_constant<caf::atom("ringdone")>;
using started_atom = caf::atom_constant<caf::atom("started")>;
using never_atom = caf::atom_constant<caf::atom("never")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

using clock_type = std::chrono::steady_clock;

double ns_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::nano>(clock_type::now() - start).count();
}

// One JSON line: the fields are already rendered as `"key":value`.
void emit(const std::vector<std::string>& fields) {
  std::string line = "{";
  for (const auto& field : fields) {
    if (line.size() > 1) line += ',';
    line += field;
  }
  line += "}\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

std::string field(const char* key, double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f", value);
  return std::string("\"") + key + "\":" + text;
}

std::string field(const char* key, long long value) {
  return std::string("\"") + key + "\":" + std::to_string(value);
}

std::string field(const char* key, const std::string& value) {
  std::string quoted = std::string("\"") + key + "\":\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (static_cast<unsigned char>(c) < 32) {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  return quoted + '"';
}

// What every line carries, as Erlang's lines carry otp, erts and schedulers.
struct run_info {
  std::string caf_version;
  long long threads;

  void append_to(std::vector<std::string>& fields) const {
    fields.push_back(field("caf", caf_version));
    fields.push_back(field("threads", threads));
  }
};

long long vmrss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, 6, "VmRSS:") == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// --- ping-pong ----------------------------------------------------------------------------------

caf::behavior pong() {
  return {[](int message) { return message; }};
}

struct caller_state {
  caf::actor pong;
  caf::actor reply_to;  // told done_atom once all rounds are printed
  run_info info;
  int calls = 0;
  int rounds = 0;
  int rounds_done = 0;
  bool warming_up = true;
  clock_type::time_point start;
};
using caller_actor = caf::stateful_actor<caller_state>;

void start_calls(caller_actor* self, int calls);

// The calls count down from `remaining` to 1, each waiting for the answer before the next.
void call(caller_actor* self, int remaining) {
  self->request(self->state.pong, caf::infinite, remaining).then([self, remaining](int answer) {
    if (answer != remaining)
      throw std::runtime_error("pong answered " + std::to_string(answer) + " to " +
                               std::to_string(remaining));
    if (remaining > 1) {
      call(self, remaining - 1);
      return;
    }
    auto& st = self->state;
    if (st.warming_up) {
      st.warming_up = false;
    } else {
      std::vector<std::string> fields{field("workload", std::string("pingpong")),
                                      field("n", static_cast<long long>(st.calls)),
                                      field("ns_per_op", ns_since(st.start) / st.calls)};
      st.info.append_to(fields);
      emit(fields);
      if (++st.rounds_done == st.rounds) {
        self->send(st.reply_to, done_atom::value);
        return;
      }
    }
    start_calls(self, st.calls);
  });
}

void start_calls(caller_actor* self, int calls) {
  self->state.start = clock_type::now();
  call(self, calls);
}

caf::behavior caller(caller_actor* self, caf::actor reply_to, run_info info, int calls,
                     int rounds) {
  auto& st = self->state;
  st.pong = self->spawn(pong);
  st.reply_to = std::move(reply_to);
  st.info = std::move(info);
  st.calls = calls;
  st.rounds = rounds;
  call(self, std::max(1, calls / 10));  // warm-up
  return {[](never_atom) {}};           // the calls are driven by their response handlers
}

// --- ring ---------------------------------------------------------------------------------------

struct ring_node_state {
  caf::actor next;
  caf::actor timer;
};

caf::behavior ring_node(caf::stateful_actor<ring_node_state>* self, caf::actor timer) {
  self->state.timer = std::move(timer);
  return {
      [self](next_atom, caf::actor& next) { self->state.next = std::move(next); },
      [self](token_atom, int hops) {
        if (hops == 0)
          self->send(self->state.timer, ring_done_atom::value);
        else
          self->send(self->state.next, token_atom::value, hops - 1);
      },
  };
}

struct ring_timer_state {
  std::vector<caf::actor> nodes;
  caf::actor reply_to;
  run_info info;
  int hops = 0;
  int rounds = 0;
  int rounds_done = 0;
  bool warming_up = true;
  clock_type::time_point start;
};
using ring_timer_actor = caf::stateful_actor<ring_timer_state>;

void send_token(ring_timer_actor* self, int hops) {
  self->state.start = clock_type::now();
  self->send(self->state.nodes.front(), token_atom::value, hops);
}

caf::behavior ring_timer(ring_timer_actor* self, caf::actor reply_to, run_info info, int actors,
                         int hops, int rounds) {
  auto& st = self->state;
  st.reply_to = std::move(reply_to);
  st.info = std::move(info);
  st.hops = hops;
  st.rounds = rounds;
  caf::actor timer = caf::actor_cast<caf::actor>(self);
  for (int i = 0; i < actors; ++i) st.nodes.push_back(self->spawn(ring_node, timer));
  for (int i = 0; i < actors; ++i)
    self->send(st.nodes[i], next_atom::value, st.nodes[(i + 1) % actors]);
  send_token(self, std::max(1, hops / 10));  // warm-up
  return {[self](ring_done_atom) {
    auto& st = self->state;
    if (st.warming_up) {
      st.warming_up = false;
    } else {
      std::vector<std::string> fields{field("workload", std::string("ring")),
                                      field("actors", static_cast<long long>(st.nodes.size())),
                                      field("hops", static_cast<long long>(st.hops)),
                                      field("ns_per_hop", ns_since(st.start) / st.hops)};
      st.info.append_to(fields);
      emit(fields);
      if (++st.rounds_done == st.rounds) {
        self->send(st.reply_to, done_atom::value);
        return;
      }
    }
    send_token(self, st.hops);
  }};
}

// --- spawn --------------------------------------------------------------------------------------

// Counts idle actors that have initialized; the one that completes a batch tells the spawner.
struct start_barrier {
  std::atomic<long long> started{0};
  long long target = 0;
  caf::actor spawner;
};

caf::behavior idle(caf::event_based_actor*, start_barrier* barrier) {
  if (barrier->started.fetch_add(1, std::memory_order_relaxed) + 1 == barrier->target)
    caf::anon_send(barrier->spawner, started_atom::value);
  return {[](never_atom) {}};
}

struct spawner_state {
  std::vector<caf::actor> alive;
  start_barrier barrier;
  caf::actor reply_to;
  run_info info;
  long long count = 0;
  bool warming_up = true;
  long long rss_before_kb = 0;
  clock_type::time_point start;
};
using spawner_actor = caf::stateful_actor<spawner_state>;

void spawn_batch(spawner_actor* self, long long count) {
  auto& st = self->state;
  st.barrier.started = 0;
  st.barrier.target = count;
  for (long long i = 0; i < count; ++i) st.alive.push_back(self->spawn(idle, &st.barrier));
}

caf::behavior spawner(spawner_actor* self, caf::actor reply_to, run_info info, long long count) {
  auto& st = self->state;
  st.reply_to = std::move(reply_to);
  st.info = std::move(info);
  st.count = count;
  st.barrier.spawner = caf::actor_cast<caf::actor>(self);
  st.alive.reserve(static_cast<size_t>(count) + 1000);
  spawn_batch(self, 1000);  // warm-up; these stay alive
  return {[self](started_atom) {
    auto& st = self->state;
    if (st.warming_up) {
      st.warming_up = false;
      st.rss_before_kb = vmrss_kb();
      st.start = clock_type::now();
      spawn_batch(self, st.count);
      return;
    }
    double seconds = ns_since(st.start) / 1e9;
    long long rss_after_kb = vmrss_kb();
    std::vector<std::string> fields{
        field("workload", std::string("spawn")),
        field("n", st.count),
        field("seconds", seconds),
        field("rss_before_kb", st.rss_before_kb),
        field("rss_after_kb", rss_after_kb),
        field("bytes_per_actor",
              static_cast<double>(rss_after_kb - st.rss_before_kb) * 1024 / st.count),
        field("actors_running", static_cast<long long>(self->system().registry().running())),
    };
    st.info.append_to(fields);
    emit(fields);
    self->send(st.reply_to, done_atom::value);
  }};
}

// --- main ---------------------------------------------------------------------------------------

int usage() {
  emit({field("error",
              std::string("usage: actors_bench [--threads T] pingpong N ROUNDS | ring ACTORS HOPS "
                          "ROUNDS | spawn N"))});
  return 0;
}

bool positive(const char* text, long long& value) {
  char* end = nullptr;
  value = std::strtoll(text, &end, 10);
  return end != text && *end == '\0' && value > 0 && value <= 1000000000;
}

}  // namespace

int main(int argc, char** argv) {
  long long threads = 0;
  int first = 1;
  if (argc > 2 && std::strcmp(argv[1], "--threads") == 0) {
    if (!positive(argv[2], threads)) return usage();
    first = 3;
  }
  if (argc <= first) return usage();
  std::string workload = argv[first];
  std::vector<long long> numbers;
  for (int i = first + 1; i < argc; ++i) {
    long long value = 0;
    if (!positive(argv[i], value)) return usage();
    numbers.push_back(value);
  }
  size_t expected = workload == "pingpong" ? 2
                    : workload == "ring"   ? 3
                    : workload == "spawn"  ? 1
                                           : 0;
  if (expected == 0 || numbers.size() != expected) return usage();

  caf::actor_system_config config;
  if (threads > 0) config.set("scheduler.max-threads", static_cast<size_t>(threads));
  caf::actor_system system{config};
  run_info info{std::to_string(CAF_MAJOR_VERSION) + "." + std::to_string(CAF_MINOR_VERSION) + "." +
                    std::to_string(CAF_PATCH_VERSION),
                static_cast<long long>(system.scheduler().num_workers())};

  caf::scoped_actor waiter{system};
  caf::actor reply_to = caf::actor_cast<caf::actor>(waiter);
  caf::actor driver;
  if (workload == "pingpong")
    driver = system.spawn(caller, reply_to, info, static_cast<int>(numbers[0]),
                          static_cast<int>(numbers[1]));
  else if (workload == "ring")
    driver = system.spawn(ring_timer, reply_to, info, static_cast<int>(numbers[0]),
                          static_cast<int>(numbers[1]), static_cast<int>(numbers[2]));
  else
    driver = system.spawn(spawner, reply_to, info, numbers[0]);
  waiter->monitor(driver);
  bool finished = false;
  while (!finished) {
    waiter->receive(
        [&](done_atom) { finished = true; },
        [&](caf::down_msg& down) {
          emit({field("error", workload + ": driver actor ended: " + system.render(down.reason))});
          finished = true;
        });
  }
  std::fflush(stdout);
  // Ends at once: tearing down 1M actors, or a ring whose actors reference each other, is not
  // part of any figure (Erlang's side ends with halt()).
  std::_Exit(0);
}
