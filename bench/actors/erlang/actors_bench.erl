%% Erlang/OTP side of bench/actors/actors_bench.py: the actor workloads of issue 4 with plain
%% processes and messages, one workload per VM (a fresh `erl` each time, as mar gets a fresh node).
%% Prints one JSON object per line on stdout; the driver parses the lines that start with '{'.
%%
%%   erl -noshell +P 2000000 -pa DIR -run actors_bench main pingpong N ROUNDS
%%   erl -noshell +P 2000000 -pa DIR -run actors_bench main ring ACTORS HOPS ROUNDS
%%   erl -noshell +P 2000000 -pa DIR -run actors_bench main spawn N
%%
%% pingpong: a gen-style request/reply with plain messages (what gen_server:call does, less the
%%   monitor): the caller sends {call, self(), Ref, I} and waits in a selective receive for {Ref, I};
%%   the callee answers with the message. One JSON line per round: the mean ns per round trip.
%% ring: ACTORS processes, each knowing the next one's pid; a token {token, H} goes round with `!`
%%   HOPS times; the process that sees H = 0 tells the timer. One JSON line per round: ns per hop.
%% spawn: N processes each waiting in `receive` (never matched), not kept in a list; seconds for
%%   the spawns and this OS process's VmRSS before and after (from /proc/self/status), as the
%%   driver measures mar's process. A warm-up of 1,000 spawns comes first and stays alive.
%%   The default process limit is 262,144: the driver passes +P 2000000 (not a tuning: 1M processes
%%   cannot exist without it).
-module(actors_bench).
-export([main/1, pong/0, ring_node/1, idle/0]).

main([Workload | Args]) ->
    try run(Workload, [list_to_integer(A) || A <- Args])
    catch Class:Reason:Stack ->
        emit([{error, iolist_to_binary(io_lib:format("~p:~p ~p", [Class, Reason, Stack]))}])
    end,
    halt(0).

run("pingpong", [N, Rounds]) ->
    Pong = spawn(fun pong/0),
    pingpong(Pong, N div 10),  % warm-up
    [begin
         T0 = now_ns(),
         pingpong(Pong, N),
         emit([{workload, pingpong}, {n, N}, {ns_per_op, (now_ns() - T0) / N} | info()])
     end || _ <- lists:seq(1, Rounds)];
run("ring", [Actors, Hops, Rounds]) ->
    Nodes = ring(Actors),
    ring_round(Nodes, Hops div 10),  % warm-up
    [begin
         T0 = now_ns(),
         ring_round(Nodes, Hops),
         emit([{workload, ring}, {actors, Actors}, {hops, Hops},
               {ns_per_hop, (now_ns() - T0) / Hops} | info()])
     end || _ <- lists:seq(1, Rounds)];
run("spawn", [N]) ->
    spawn_idle(1000),  % warm-up; these stay alive
    erlang:garbage_collect(),
    Before = vmrss_kb(),
    MemBefore = erlang:memory(total),
    T0 = now_ns(),
    spawn_idle(N),
    Seconds = (now_ns() - T0) / 1.0e9,
    After = vmrss_kb(),
    emit([{workload, spawn}, {n, N}, {seconds, Seconds}, {rss_before_kb, Before},
          {rss_after_kb, After}, {bytes_per_actor, (After - Before) * 1024 / N},
          {erlang_memory_bytes_per_actor, (erlang:memory(total) - MemBefore) / N},
          {processes, erlang:system_info(process_count)} | info()]).

%% --- ping-pong ----------------------------------------------------------------------------------
pong() ->
    receive {call, From, Ref, Msg} -> From ! {Ref, Msg}, pong() end.

pingpong(_, 0) -> ok;
pingpong(Pong, I) ->
    Ref = make_ref(),
    Pong ! {call, self(), Ref, I},
    receive {Ref, I} -> pingpong(Pong, I - 1) end.

%% --- ring ---------------------------------------------------------------------------------------
ring(Actors) ->
    Nodes = [spawn(fun() -> receive {next, Next} -> ring_node(Next) end end)
             || _ <- lists:seq(1, Actors)],
    [First | Rest] = Nodes,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end, lists:zip(Nodes, Rest ++ [First])),
    Nodes.

ring_node(Next) ->
    receive
        {token, 0, Timer} -> Timer ! ring_done, ring_node(Next);
        {token, H, Timer} -> Next ! {token, H - 1, Timer}, ring_node(Next)
    end.

ring_round([First | _], Hops) ->
    First ! {token, Hops, self()},
    receive ring_done -> ok end.

%% --- spawn --------------------------------------------------------------------------------------
idle() -> receive never_sent -> ok end.

spawn_idle(0) -> ok;
spawn_idle(N) -> spawn(fun idle/0), spawn_idle(N - 1).

%% --- helpers ------------------------------------------------------------------------------------
now_ns() -> erlang:monotonic_time(nanosecond).

vmrss_kb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    [Line] = [L || L <- binary:split(Status, <<"\n">>, [global]), binary:part(L, 0, min(6, byte_size(L))) =:= <<"VmRSS:">>],
    [_, Kb | _] = binary:split(Line, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(Kb).

info() ->
    [{otp, list_to_binary(erlang:system_info(otp_release))},
     {erts, list_to_binary(erlang:system_info(version))},
     {schedulers, erlang:system_info(schedulers_online)}].

%% A flat proplist as one JSON line (numbers, atoms and binaries only: all this module emits).
emit(Props) ->
    Fields = [["\"", atom_to_list(K), "\":", json(V)] || {K, V} <- Props],
    io:put_chars(["{", lists:join(",", Fields), "}\n"]).

json(V) when is_integer(V) -> integer_to_list(V);
json(V) when is_float(V) -> float_to_list(V, [{decimals, 3}, compact]);
json(V) when is_atom(V) -> json(atom_to_binary(V));
json(V) when is_binary(V) ->
    Escaped = [case C of
                   $" -> "\\\""; $\\ -> "\\\\";
                   C when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
                   C -> C
               end || C <- binary_to_list(V)],
    ["\"", Escaped, "\""].
