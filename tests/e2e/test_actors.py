"""Local actors end to end: each test drives a real `mar run` over HTTP. The bundles' default fetch
handlers orchestrate actors through env.ACTORS and answer JSON; the tests assert on exact values.

Bundles (tests/e2e/bundles/):
  actors           default limits: counters, fan-out, FIFO, timeouts, handler errors, refusals,
                   revocation, timers, narrowed spawns
  actors_limits    mailbox 2 / mailboxWaitMs 50, cpuMsPerEvent 250, memoryMb 64, callTimeoutMs 1000,
                   one class per restart policy, an http-routed class
  actors_shutdown  actors whose (asynchronous) onStop hooks log at SIGTERM

A bundle runs in one isolate per shard, so the bundles tell shards apart by a per-isolate token
and pick actors "near" (spawned without a name: the spawner's shard) and "far" (a named actor whose
token differs), so that both the same-shard and the cross-shard paths are exercised.
"""
import json
import os
import threading
import time
import unittest

import marlib
from marlib import BUNDLES, Node, main

ACTORS = os.path.join(BUNDLES, "actors")
LIMITS = os.path.join(BUNDLES, "actors_limits")
SHUTDOWN = os.path.join(BUNDLES, "actors_shutdown")
FORGED = "~" + "0" * 40  # shaped like a minted name, but not minted by this node

# The node's default is one shard per core; the cross-shard tests need two at least.
SHARD_ARGS = () if (os.cpu_count() or 1) >= 2 else ("--shards", "2")


class NodeTest(marlib.NodeTest):
    def get_json(self, path, method="GET", status=200):
        got, _, body = self.node.request(method, path, timeout=60)
        self.assertEqual(got, status, f"{method} {path}: {body[:2000]!r}\nlogs:\n{self.node.logs()[-3000:]}")
        return json.loads(body)

    def assertAlive(self):
        self.assertIsNone(self.node.proc.poll(), f"the node died; logs:\n{self.node.logs()[-3000:]}")

    def assertOk(self, outcome, value):
        self.assertEqual(outcome, {"ok": True, "value": value})

    def assertActorError(self, outcome, code, message_contains=None):
        self.assertFalse(outcome["ok"], outcome)
        self.assertEqual(outcome["name"], "ActorError", outcome)
        self.assertTrue(outcome["isActorError"], outcome)
        self.assertEqual(outcome["code"], code, outcome)
        if message_contains is not None:
            self.assertIn(message_contains, outcome["message"])


class ActorsTest(NodeTest):
    """The `actors` bundle on the default shard count."""

    bundle = ACTORS
    args = SHARD_ARGS

    def test_counter_over_call_and_actor_route(self):
        # Through call() from the default handler.
        self.assertEqual(self.get_json("/count?name=alice"),
                         {"id": "actors/Counter/alice", "count": 0, "kind": "call", "sender": None})
        self.assertEqual(self.get_json("/count?name=alice", "POST")["count"], 1)
        # Through the /actors/ route (classes.Counter.http), the same actor and the same state.
        self.assertEqual(self.get_json("/actors/Counter/alice", "POST"),
                         {"id": "actors/Counter/alice", "count": 2, "method": "POST", "path": "/actors/Counter/alice"})
        self.assertEqual(self.get_json("/actors/Counter/alice/sub/path?x=1"),
                         {"id": "actors/Counter/alice", "count": 2, "method": "GET",
                          "path": "/actors/Counter/alice/sub/path"})
        # Each request is a new connection, so they land on either shard's listener.
        for i in range(6):
            path = "/count?name=alice" if i % 2 else "/actors/Counter/alice"
            self.get_json(path, "POST")
        self.assertEqual(self.get_json("/count?name=alice")["count"], 8)
        self.assertEqual(self.get_json("/actors/Counter/alice")["count"], 8)
        self.assertEqual(self.get_json("/count?name=bob")["count"], 0)

    def test_actor_route_only_for_http_classes(self):
        # W is not marked "http": the default handler gets the request.
        self.assertEqual(self.get_json("/actors/W/1", status=404), {"error": "no route", "path": "/actors/W/1"})
        self.assertEqual(self.get_json("/actors/Nope/1", status=404), {"error": "no route", "path": "/actors/Nope/1"})
        status, _, body = self.node.get(f"/actors/Counter/{FORGED}")
        self.assertEqual((status, body), (404, b"not_found\n"))
        status, _, body = self.node.get("/actors/Counter/" + "n" * 300)
        self.assertEqual((status, body), (400, b"invalid_argument\n"))

    def test_fan_out_fan_in_over_1000_actors(self):
        first = self.get_json("/fanout?n=1000&factor=3")
        self.assertEqual(first["sum"], 3 * sum(range(1000)))
        self.assertEqual(first["replies"], 1000)
        self.assertEqual(first["calls"], {"1": 1000})
        self.assertGreaterEqual(first["isolates"], 2, "the 1,000 named actors should spread over the shards")
        # The same 1,000 actors again: each kept its state.
        second = self.get_json("/fanout?n=1000&factor=7")
        self.assertEqual(second["sum"], 7 * sum(range(1000)))
        self.assertEqual(second["calls"], {"2": 1000})

    def test_100000_spawned_actors_found_by_address_and_stopped(self):
        n = 100_000
        result = self.get_json(f"/many?n={n}")
        self.assertEqual(result["distinct"], n)
        self.assertEqual(result["before"], {"same": n, "gone": 0, "other": []})
        stopped = len(range(0, n, 3))
        self.assertEqual(result["after"], {"same": n - stopped, "gone": stopped, "other": []})
        # After as many new spawns, the stopped names still find nothing (serials are not reused).
        self.assertEqual(result["again"], {"same": n - stopped, "gone": stopped, "other": []})
        self.assertEqual(result["allDistinct"], n + stopped)
        self.assertAlive()

    def test_fifo_per_sender_and_receiver_under_load(self):
        result = self.get_json("/fifo?n=10000&tag=fifo")
        self.assertEqual(result["source"], "actors/Source/fifo")
        for where, same_shard in (("far", False), ("near", True)):
            report = result[where]
            self.assertEqual(report["sameShard"], same_shard, report)
            self.assertEqual(report["count"], 10000, report)
            self.assertEqual(report["last"], 9999, report)
            self.assertEqual(report["outOfOrder"], 0, report)
            self.assertEqual(report["senders"], ["actors/Source/fifo"], report)
            self.assertEqual(report["kinds"], ["send"], report)
        self.assertTrue(result["near"]["sink"].startswith("actors/Sink/~"), result["near"]["sink"])

    def test_call_timeout(self):
        result = self.get_json("/timeout")
        for where in ("near", "far"):
            self.assertActorError(result[where], "timeout", "200 ms")
        self.assertActorError(result["badTimeout"], "invalid_argument")

    def test_handler_error_keeps_the_actor_and_its_state(self):
        result = self.get_json("/handler-error")
        for where in ("near", "far"):
            steps = result[where]
            self.assertOk(steps[0], 1)
            self.assertActorError(steps[1], "handler_error")
            self.assertEqual((steps[1]["message"], steps[1]["originalName"]), ("bad input 42", "RangeError"))
            self.assertOk(steps[2], 2)
            self.assertActorError(steps[3], "handler_error")
            self.assertEqual((steps[3]["message"], steps[3]["originalName"]), ("quota gone", "QuotaError"))
            self.assertOk(steps[4], 3)

    def test_refusals(self):
        result = self.get_json("/refusals")
        expected = {
            "unknownClass": "not_found",
            "forgedSpawnedId": "not_found",
            "forgedWithBundle": "not_found",
            "otherBundle": "denied",
            "allowedButAbsent": "not_found",
            "malformed": "invalid_argument",
            "spawnUnknown": "not_found",
            "spawnTilde": "invalid_argument",
            "spawnTwice": "invalid_argument",
            "unclonable": "invalid_argument",
        }
        self.assertEqual(set(result), set(expected))
        for key, code in expected.items():
            with self.subTest(key):
                self.assertActorError(result[key], code)

    def test_stubs_of_a_stopped_actor_are_revoked(self):
        result = self.get_json("/revocation")
        self.assertEqual(result["countWhileLive"], 1)
        self.assertOk(result["liveUse"], 1)
        for use in ("call", "send", "fetch"):
            with self.subTest(use):
                self.assertActorError(result["afterStop"][use], "denied")
        self.assertOk(result["freshStub"], 1)  # the revoked calls never reached the target
        self.assertActorError(result["holderAfterStop"], "not_found")

    def test_timers_of_a_stopped_actor_are_cleared(self):
        result = self.get_json("/timers")
        self.assertTrue(result["ticked"])
        self.assertEqual(result["later"], result["atStop"], "the interval kept running after its actor stopped")

    def test_spawn_with_narrower_capabilities(self):
        result = self.get_json("/narrow")
        narrowed = result["narrowed"]
        self.assertFalse(narrowed["timer"]["ok"])
        self.assertEqual(narrowed["timer"]["name"], "TypeError")
        self.assertTrue(narrowed["timer"]["isTypeError"])
        self.assertFalse(narrowed["actors"]["ok"], narrowed)
        self.assertTrue(result["narrowedId"].startswith("actors/Narrow/~"), result["narrowedId"])
        self.assertEqual(result["full"]["timer"], {"ok": True})
        self.assertTrue(result["full"]["actors"]["ok"], result["full"])
        self.assertEqual(result["timersOnly"]["timer"], {"ok": True})
        self.assertFalse(result["timersOnly"]["actors"]["ok"])
        # A narrowed allowlist: another bundle becomes `denied` (the full set says not_found: granted,
        # but not on this node), and fetch() to a host only the bundle grants is refused.
        own_only, full = result["ownOnlyProbe"], result["fullProbe"]
        self.assertActorError(own_only["elsewhere"], "denied", "capabilities.actors.allow")
        self.assertActorError(full["elsewhere"], "not_found", "no bundle named elsewhere")
        self.assertFalse(own_only["fetched"]["ok"])
        self.assertIn("spawned with capabilities that do not allow it", own_only["fetched"]["message"])
        self.assertFalse(full["fetched"]["ok"])
        self.assertNotIn("spawned with capabilities", full["fetched"]["message"])
        # Named spawns land on either shard; the narrowing travels with the cross-shard ones.
        self.assertEqual(len(result["named"]), 32)
        for report in result["named"]:
            self.assertEqual((report["timer"], report["actors"]), ("TypeError", False), report)
        self.assertTrue(any(report["far"] for report in result["named"]))
        self.assertActorError(result["spawnUnknown"], "not_found")


class OneShardTest(NodeTest):
    """The `actors` bundle on a single shard: everything on the same-shard path."""

    bundle = ACTORS
    args = ("--shards", "1")

    def test_counter_fan_out_fifo_and_errors(self):
        self.assertEqual(self.get_json("/actors/Counter/solo", "POST")["count"], 1)
        self.assertEqual(self.get_json("/count?name=solo", "POST")["count"], 2)
        fanout = self.get_json("/fanout?n=1000&factor=5")
        self.assertEqual((fanout["sum"], fanout["calls"], fanout["isolates"]), (5 * sum(range(1000)), {"1": 1000}, 1))
        near = self.get_json("/fifo?n=10000&tag=solo&cross=0")["near"]
        self.assertEqual((near["count"], near["last"], near["outOfOrder"], near["sameShard"]), (10000, 9999, 0, True))
        errors = self.get_json("/handler-error?far=0")
        self.assertEqual([step.get("code", step.get("value")) for step in errors["near"]],
                         [1, "handler_error", 2, "handler_error", 3])
        self.assertActorError(self.get_json("/timeout?far=0")["near"], "timeout")


class LimitsTest(NodeTest):
    """The `actors_limits` bundle: mailboxes, crashes, supervision."""

    bundle = LIMITS
    args = SHARD_ARGS

    def isolates_seen(self, requests=24):
        return {self.get_json("/plain")["isolate"] for _ in range(requests)}

    def test_mailbox_full(self):
        result = self.get_json("/mailbox")
        for where in ("near", "far"):
            self.assertEqual(result[where], ["accepted", "accepted", "mailbox_full", "mailbox_full", "mailbox_full"])
            self.assertEqual(result[f"{where}Pressure"], {"queueLength": 2, "threshold": 2, "limit": 2})
        self.assertEqual(result["calls"], ["done", "done", "mailbox_full"])

    def test_cpu_limit_crashes_only_the_actor(self):
        self.assertEqual(self.get_json("/keeper?name=cpu"), 1)
        result = self.get_json("/crash?how=spin&tag=cpu")
        for where in ("near", "far"):
            steps = result[where]
            self.assertOk(steps[0], 1)
            self.assertActorError(steps[1], "crashed", "CPU")
            self.assertOk(steps[2], 1)  # restarted (on-failure) with fresh state
        self.assertEqual(self.get_json("/keeper?name=cpu"), 2)
        self.assertAlive()

    def test_hostile_actors_crash_only_themselves(self):
        isolates_before = self.isolates_seen()
        self.assertEqual(self.get_json("/keeper?name=hostile"), 1)
        for how, text in (("spin", "CPU"), ("bomb", "memory")):
            with self.subTest(how):
                result = self.get_json(f"/crash?how={how}&tag=hostile")
                for where in ("near", "far"):
                    self.assertActorError(result[where][1], "crashed", text)
                    self.assertOk(result[where][2], 1)
        self.assertIn("exceeded its memory limit", self.node.logs())
        # Other actors and plain requests are undisturbed, in the same isolates as before.
        self.assertEqual(self.get_json("/keeper?name=hostile"), 2)
        self.assertLessEqual(self.isolates_seen(), isolates_before, "an isolate was discarded and replaced")
        self.assertNotIn("was discarded", self.node.logs())
        self.assertAlive()

    def test_restart_on_failure(self):
        steps = self.get_json("/restart/on-failure?tag=onfailure")
        self.assertOk(steps[0], 1)
        self.assertOk(steps[1], 2)
        self.assertActorError(steps[2], "crashed")
        self.assertOk(steps[3], 1)
        self.assertOk(steps[4], 2)

    def test_restart_never(self):
        steps = self.get_json("/restart/never?tag=never")
        self.assertOk(steps[0], 1)
        for step in steps[1:]:
            self.assertActorError(step, "crashed")
        self.assertIn("gave up", self.node.logs())

    def test_activation_after_a_crash_keeps_the_spawned_capabilities(self):
        steps = self.get_json("/restart/keeps-capabilities?tag=keep")
        self.assertOk(steps[0], "refused: TypeError")
        self.assertActorError(steps[1], "crashed", "CPU")
        self.assertOk(steps[2], "refused: TypeError")  # not the bundle's timers

    def test_restart_limit_within_window(self):
        result = self.get_json("/restart/window?tag=window")
        steps = result["steps"]
        self.assertOk(steps[0], 1)
        for crash in range(2):  # maxRestarts 2: restarted twice, fresh each time
            self.assertActorError(steps[1 + 2 * crash], "crashed")
            self.assertOk(steps[2 + 2 * crash], 1)
        self.assertActorError(steps[5], "crashed")
        self.assertActorError(steps[6], "crashed")  # gave up
        self.assertActorError(steps[7], "crashed")  # still, past any backoff
        self.assertOk(result["later"], 1)  # once restartWindowMs has passed, a fresh activation
        self.assertIn("restart limit reached (classes.Flaky.maxRestarts)", self.node.logs())

    def test_restart_always_after_stop(self):
        result = self.get_json("/restart/always")
        self.assertEqual(result["before"], [1, 2])
        self.assertOk(result["after"][0], 1)
        self.assertOk(result["after"][1], 2)
        self.assertEqual(result["lives"], 1)
        # on-failure: a spawned actor that stopped itself is gone.
        self.assertEqual(result["mortalBefore"], 1)
        self.assertActorError(result["mortalAfter"], "not_found")

    def test_messages_sent_during_restart_backoff_reach_the_restarted_actor(self):
        result = self.get_json("/restart/backoff?tag=backoff")
        crash = result["crash"]
        self.assertOk(crash[0], 1)
        self.assertOk(crash[1], 2)
        self.assertActorError(crash[2], "crashed")
        self.assertOk(crash[3], 1)  # sent during the 300 ms backoff: waits, then the new incarnation
        self.assertOk(crash[4], 2)
        stop = result["stop"]
        self.assertEqual([step.get("value", step.get("code")) for step in stop], [1, 2, 1, 2], stop)

    def test_crashes_outside_handlers(self):
        result = self.get_json("/crash-causes")
        for cause in ("timer", "unhandled"):
            self.assertOk(result[cause][2], 1)  # restarted fresh
        self.assertActorError(result["constructor"], "crashed")
        self.assertActorError(result["onStart"], "crashed")
        self.assertFalse(result["spawnBadCtor"]["ok"])
        self.assertIn("constructor boom", result["spawnBadCtor"]["message"])
        logs = self.node.logs()
        self.assertIn("tick boom", logs)
        self.assertIn("nobody listens", logs)

    def test_requests_after_a_crash_do_not_run_as_the_crashed_actor(self):
        status, _, body = self.node.get("/actors/HttpProbe/attribution/spin", timeout=60)
        self.assertEqual((status, body), (503, b"crashed\n"))
        # Enough requests that some land on the shard where it crashed: each makes a new stub, which
        # must belong to no actor (a stub owned by the crashed actor would be refused as revoked).
        for i in range(1, 17):
            self.assertEqual(self.get_json("/keeper?name=attribution"), i)
            self.assertEqual(self.get_json("/actors/HttpProbe/attribution-ok"), {"count": i})
        self.assertNotIn("was revoked", self.node.logs())

    def test_actor_route_error_statuses(self):
        self.assertEqual(self.get_json("/actors/HttpProbe/a"), {"count": 1})
        expected = {
            "/actors/HttpProbe/b/spin": (503, b"crashed\n"),
            "/actors/HttpProbe/c/hang": (504, b"timeout\n"),
            f"/actors/HttpProbe/{FORGED}": (404, b"not_found\n"),
            "/actors/HttpProbe/" + "n" * 300: (400, b"invalid_argument\n"),
        }
        for path, (status, body) in expected.items():
            with self.subTest(path[:40]):
                got, _, got_body = self.node.get(path, timeout=60)
                self.assertEqual((got, got_body), (status, body))
        status, _, _ = self.node.get("/actors/HttpProbe/d/throw")
        self.assertEqual(status, 500)
        # Two hanging requests fill the mailbox (2): a third is refused.
        answers = {}
        hangs = [threading.Thread(target=lambda i=i: answers.__setitem__(i, self.node.get("/actors/HttpProbe/full/hang", timeout=60)))
                 for i in range(2)]
        for thread in hangs:
            thread.start()
        time.sleep(0.2)  # let them reach the actor; the loop below copes if they are late
        refused = None
        for _ in range(200):  # until both hanging requests are in the actor's mailbox
            refused = self.node.get("/actors/HttpProbe/full/hang", timeout=60)
            if refused[0] == 503:
                break
        for thread in hangs:
            thread.join(60)
        self.assertEqual((refused[0], refused[2]), (503, b"mailbox_full\n"))
        self.assertEqual(sorted((status, body) for status, _, body in answers.values()), [(504, b"timeout\n")] * 2)
        self.assertEqual(self.get_json("/actors/HttpProbe/a"), {"count": 2})


class ShutdownTest(unittest.TestCase):
    def test_sigterm_runs_on_stop_of_live_actors(self):
        with Node(SHUTDOWN, *SHARD_ARGS) as node:
            status, _, body = node.get("/start?n=20")
            self.assertEqual(status, 200, body)
            started = json.loads(body)
            self.assertEqual(len(started["ids"]), 21)
            self.assertGreaterEqual(started["isolates"], 2)
            self.assertEqual(node.stop(), 0)
            messages = []
            for line in node.logs().splitlines():
                try:
                    messages.append(json.loads(line)["msg"])
                except ValueError:
                    pass
            for actor_id in started["ids"]:
                with self.subTest(actor_id):
                    self.assertIn(f"onStop begins {actor_id}", messages)
                    self.assertIn(f"onStop done {actor_id}", messages)
            self.assertEqual(messages[-1], "stopped")


if __name__ == "__main__":
    main()
