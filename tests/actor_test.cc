// Unit tests of the actor layer's pure parts: addresses, spawned ids, placement, restart decisions.
#include <gtest/gtest.h>

#include <bit>
#include <set>

#include "actor/address.h"
#include "actor/ids.h"
#include "actor/registry.h"
#include "actor/resolver.h"
#include "actor/supervision.h"

namespace mar::actor {
namespace {

TEST(Address, ParsesRelativeAndAbsoluteForms) {
  auto relative = ParseAddress("Cart/alice", "shop");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->ToString(), "shop/Cart/alice");
  auto absolute = ParseAddress("inventory/Stock/42", "shop");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->bundle, "inventory");
  EXPECT_EQ(absolute->cls, "Stock");
  EXPECT_EQ(absolute->name, "42");
}

TEST(Address, RefusesMalformedAddressesWithTheReason) {
  auto expect_error = [](std::string_view text, std::string_view fragment) {
    auto parsed = ParseAddress(text, "shop");
    ASSERT_FALSE(parsed) << text;
    EXPECT_NE(parsed.error().message.find(fragment), std::string::npos) << parsed.error().message;
  };
  expect_error("Cart", "no '/'");
  expect_error("Cart/", "empty");
  expect_error("1Cart/x", "not a class name");
  expect_error("Bad Bundle/Cart/x", "not a bundle name");
  expect_error("shop/Cart/a/b", "cannot contain '/'");
  expect_error("Cart/a\nb", "control characters");
  expect_error("Cart/" + std::string(kMaxNameBytes + 1, 'x'), "the limit is 256");
}

TEST(SipHash, MatchesTheReferenceVectors) {
  // Key 00..0f; the empty message is the reference implementation's first vector, the 15-byte one
  // was computed with OpenSSL (`openssl mac -macopt hexkey:00..0f -macopt size:16 SIPHASH`).
  std::array<uint8_t, 16> key{};
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  auto empty = SipHash128(key, "");
  const uint8_t expected_empty[16] = {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
                                      0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93};
  EXPECT_TRUE(std::equal(empty.begin(), empty.end(), expected_empty));
  std::string fifteen;
  for (int i = 0; i < 15; ++i) fifteen.push_back(static_cast<char>(i));
  auto longer = SipHash128(key, fifteen);
  const uint8_t expected_fifteen[16] = {0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
                                        0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9};
  EXPECT_TRUE(std::equal(longer.begin(), longer.end(), expected_fifteen));
}

TEST(SipHash, SixtyFourBitOutputMatchesTheReferenceVector) {
  // The SipHash paper's vector for the 8-byte message 00..07 under the key 00..0f.
  std::array<uint8_t, 16> key{};
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(SipHash64(key, 0x0706050403020100ull), 0x93f5f5799a932462ull);
}

TEST(IdMinter, MintedNamesVerifyAndForgeriesDoNot) {
  IdMinter minter;
  std::string name = minter.Mint("shop", "Cart", 0x0123456789abcdefull);
  EXPECT_EQ(name.size(), 41u);
  EXPECT_EQ(name.substr(0, 17), "~0123456789abcdef");
  EXPECT_TRUE(minter.Verify("shop", "Cart", name));
  EXPECT_FALSE(minter.Verify("shop", "Other", name));  // the MAC covers the class
  EXPECT_FALSE(minter.Verify("other", "Cart", name));  // and the bundle
  std::string tampered = name;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  EXPECT_FALSE(minter.Verify("shop", "Cart", tampered));
  EXPECT_FALSE(minter.Verify("shop", "Cart", "~0123"));
  IdMinter other;  // another node secret
  EXPECT_FALSE(other.Verify("shop", "Cart", name));
  EXPECT_EQ(IdMinter::NonceOf(name), 0x0123456789abcdefull);
}

TEST(LocalResolver, PlacesByHashAndSpawnedNamesOnTheirShard) {
  LocalResolver resolver(4);
  Address a{"shop", "Cart", "alice"};
  EXPECT_EQ(resolver.Locate(a), resolver.Locate(a));  // stable
  int seen[4] = {};
  for (int i = 0; i < 400; ++i) ++seen[resolver.Locate({"shop", "Cart", "n" + std::to_string(i)}).shard];
  for (int count : seen) EXPECT_GT(count, 50);  // spread over every shard
  IdMinter minter;
  for (int shard = 0; shard < 4; ++shard) {
    for (uint16_t random : {0, 1, 0x7fff, 0xfffe, 0xffff}) {  // the ends of the placement bits too
      uint64_t nonce = minter.NonceFor(12345, resolver.Placement(random, shard));
      Address spawned{"shop", "Cart", minter.Mint("shop", "Cart", nonce)};
      EXPECT_EQ(resolver.Locate(spawned).shard, shard);
    }
  }
  LocalResolver three(3);  // 65,536 is not a multiple of 3
  EXPECT_EQ(IdMinter::PlacementOf(minter.NonceFor(0, three.Placement(0xffff, 2))) % 3, 2);
}

TEST(IdMinter, SerialsAreEncipheredOneToOne) {
  IdMinter minter(std::array<uint8_t, 16>{1, 2, 3});
  std::set<uint64_t> nonces;
  for (uint64_t serial : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{4095}, uint64_t{4096},
                          IdMinter::kSerialLimit - 1}) {
    uint64_t nonce = minter.NonceFor(serial, 0xabcd);
    EXPECT_EQ(IdMinter::PlacementOf(nonce), 0xabcd);
    EXPECT_EQ(minter.SerialOf(nonce), serial);
    nonces.insert(nonce & (IdMinter::kSerialLimit - 1));
  }
  EXPECT_EQ(nonces.size(), 6u);
  // Consecutive serials do not give nearby nonces: about half of the 48 bits differ.
  int differing = std::popcount(minter.NonceFor(1000, 0) ^ minter.NonceFor(1001, 0));
  EXPECT_GT(differing, 10);
  // Another node secret, another permutation.
  IdMinter other(std::array<uint8_t, 16>{1, 2, 4});
  EXPECT_NE(other.NonceFor(0, 0), minter.NonceFor(0, 0));
  // The placement bits tweak the permutation: one serial under other placement bits enciphers to
  // unrelated bits, and each deciphers back.
  uint64_t low = IdMinter::kSerialLimit - 1;
  EXPECT_GT(std::popcount((minter.NonceFor(77, 0) ^ minter.NonceFor(77, 1)) & low), 10);
  for (uint16_t placement : {0, 1, 0x1234, 0xffff}) EXPECT_EQ(minter.SerialOf(minter.NonceFor(77, placement)), 77u);
}

caps::ActorClassConfig Config(caps::RestartPolicy policy, uint32_t max_restarts = 3) {
  caps::ActorClassConfig config;
  config.restart = policy;
  config.max_restarts = max_restarts;
  config.restart_window_ms = 1000;
  config.backoff_ms = 100;
  config.max_backoff_ms = 250;
  return config;
}

TEST(RestartHistory, BacksOffThenGivesUpWithinTheWindow) {
  RestartHistory history;
  auto config = Config(caps::RestartPolicy::kOnFailure);
  auto t0 = Clock::now();
  auto first = history.Next(t0, config, true);
  EXPECT_TRUE(first.restart);
  EXPECT_EQ(first.delay.count(), 100);
  EXPECT_EQ(history.Next(t0 + std::chrono::milliseconds(10), config, true).delay.count(), 200);
  EXPECT_EQ(history.Next(t0 + std::chrono::milliseconds(20), config, true).delay.count(), 250);  // capped
  auto fourth = history.Next(t0 + std::chrono::milliseconds(30), config, true);
  EXPECT_FALSE(fourth.restart);
  EXPECT_TRUE(fourth.gave_up);
  // Once the window has passed, the budget is back.
  auto later = history.Next(t0 + std::chrono::milliseconds(1100), config, true);
  EXPECT_TRUE(later.restart);
  EXPECT_EQ(later.delay.count(), 100);
}

TEST(RestartHistory, PoliciesDecideWhatIsRestarted) {
  RestartHistory history;
  auto now = Clock::now();
  EXPECT_FALSE(history.Next(now, Config(caps::RestartPolicy::kNever), true).restart);
  EXPECT_FALSE(history.Next(now, Config(caps::RestartPolicy::kOnFailure), false).restart);  // stopped itself
  EXPECT_TRUE(history.Next(now, Config(caps::RestartPolicy::kAlways), false).restart);
  EXPECT_FALSE(history.Next(now, Config(caps::RestartPolicy::kOnFailure, 0), true).restart);
}

TEST(Registry, TracksLifecycleAndRefusesAFailedAddressForItsWindow) {
  IdMinter minter;
  Registry registry(0, nullptr, minter);
  EXPECT_FALSE(registry.Activate("shop/Cart/a", "Cart", false, nullptr, false));
  EXPECT_FALSE(registry.Activate("shop/Cart/a", "Cart", false, nullptr, false));  // already live: fine
  auto twice = registry.Activate("shop/Cart/a", "Cart", false, nullptr, true);
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->code, "invalid_argument");
  EXPECT_EQ(registry.metrics().live.load(), 1);

  auto decision = registry.Crash("shop/Cart/a", "boom", Config(caps::RestartPolicy::kNever));
  EXPECT_FALSE(decision.restart);
  EXPECT_EQ(registry.metrics().live.load(), 0);
  EXPECT_EQ(registry.metrics().crashed.load(), 1u);
  auto refused = registry.Activate("shop/Cart/a", "Cart", false, nullptr, false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "crashed");

  EXPECT_FALSE(registry.Activate("shop/Cart/b", "Cart", false, nullptr, false));
  auto restart = registry.Crash("shop/Cart/b", "boom", Config(caps::RestartPolicy::kOnFailure));
  EXPECT_TRUE(restart.restart);
  EXPECT_EQ(registry.Find("shop/Cart/b")->state, Registry::State::kRestarting);
  registry.Restarted("shop/Cart/b");
  EXPECT_EQ(registry.Find("shop/Cart/b")->state, Registry::State::kLive);
  EXPECT_EQ(registry.metrics().restarts.load(), 1u);
  registry.Remove("shop/Cart/b", "stopped");
  EXPECT_EQ(registry.Find("shop/Cart/b"), nullptr);
  EXPECT_EQ(registry.metrics().live.load(), 0);
}

TEST(Registry, FindsSpawnedActorsByTheSerialTheirNameCarries) {
  IdMinter minter;
  Registry registry(0, nullptr, minter);
  std::vector<std::string> addresses;
  for (uint64_t i = 0; i < 20000; ++i) {
    std::string bundle = i % 7 ? "shop" : "shop2", cls = i % 3 ? "Cart" : "Stock";
    auto spawned = *registry.Spawn(bundle, cls, static_cast<uint16_t>(i), nullptr);
    EXPECT_EQ(spawned.serial, i);
    EXPECT_EQ(spawned.address.substr(0, bundle.size() + cls.size() + 2), bundle + "/" + cls + "/");
    EXPECT_TRUE(minter.Verify(bundle, cls, spawned.address.substr(bundle.size() + cls.size() + 2)));
    EXPECT_EQ(registry.SerialOf(spawned.address), static_cast<int64_t>(i));
    addresses.push_back(std::move(spawned.address));
  }
  EXPECT_EQ(registry.size(), addresses.size());
  EXPECT_EQ(registry.metrics().live.load(), 20000);
  EXPECT_EQ(registry.metrics().spawned.load(), 20000u);
  for (const std::string& address : addresses) {
    const Registry::Entry* entry = registry.Find(address);
    ASSERT_NE(entry, nullptr) << address;
    EXPECT_TRUE(entry->spawned);
    size_t slash = address.find('/');
    EXPECT_EQ(entry->cls, address.substr(slash + 1, address.find('/', slash + 1) - slash - 1));
  }
  // A name with a live actor's nonce but another MAC (forged), class or bundle is not that actor.
  std::string forged = addresses[500];
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(registry.Find(forged), nullptr);
  EXPECT_EQ(registry.Find("shoq" + addresses[500].substr(4)), nullptr);
  EXPECT_EQ(registry.Find("shop/Stock/" + addresses[1].substr(addresses[1].rfind('/') + 1)), nullptr);
  EXPECT_EQ(registry.SerialOf("shop/Cart/alice"), -1);
  // A spawned name cannot be registered through Activate: it is live, or it is not found.
  auto again = registry.Activate(addresses[7], "Cart", true, nullptr, true);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->code, "invalid_argument");
  auto unknown = registry.Activate("shop/Cart/~" + std::string(40, '0'), "Cart", true, nullptr, true);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, "not_found");

  EXPECT_EQ(registry.spawned_chunks(), 20u);  // 20,000 serials in chunks of 1,024
  // Remove every other one, and all of the first 8,192 (eight whole chunks go), then check the rest.
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i % 2 == 0 || i < 8192) registry.Remove(addresses[i], "stopped");
  }
  for (size_t i = 0; i < addresses.size(); ++i) {
    EXPECT_EQ(registry.Find(addresses[i]) != nullptr, i % 2 == 1 && i >= 8192) << i;
  }
  EXPECT_EQ(registry.size(), (20000u - 8192u) / 2);
  EXPECT_EQ(registry.spawned_chunks(), 12u);
  // LiveAddresses rebuilds exactly the addresses that were spawned and live.
  auto live = registry.LiveAddresses();
  std::sort(live.begin(), live.end());
  std::vector<std::string> expected;
  for (size_t i = 8193; i < addresses.size(); i += 2) expected.push_back(addresses[i]);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(live, expected);
  // Serials go on from where they were: an old name never finds a new actor.
  auto next = *registry.Spawn("shop", "Cart", 0, nullptr);
  EXPECT_EQ(next.serial, 20000u);
  EXPECT_EQ(registry.Find(addresses[0]), nullptr);
  // A crashed spawned actor keeps its entry while it restarts.
  EXPECT_TRUE(registry.Crash(addresses[9001], "boom", Config(caps::RestartPolicy::kOnFailure)).restart);
  EXPECT_EQ(registry.Find(addresses[9001])->state, Registry::State::kRestarting);
  registry.Restarted(addresses[9001]);
  EXPECT_EQ(registry.Find(addresses[9001])->state, Registry::State::kLive);
}

TEST(Registry, ASpawnedActorGivenUpOnAnswersCrashedForItsWindowThenIsForgotten) {
  IdMinter minter;
  Registry registry(0, nullptr, minter);
  auto over = Config(caps::RestartPolicy::kNever);
  over.restart_window_ms = 0;  // over at once
  std::string asked = registry.Spawn("shop", "Cart", 0, nullptr)->address;
  std::string swept = registry.Spawn("shop", "Cart", 0, nullptr)->address;
  std::string held = registry.Spawn("shop", "Cart", 0, nullptr)->address;
  // Within its window (1 s), a message gets `crashed`.
  registry.Crash(held, "boom", Config(caps::RestartPolicy::kNever));
  auto refused = registry.Activate(held, "Cart", true, nullptr, false);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "crashed");
  // After it, a message finds nothing.
  registry.Crash(asked, "boom", over);
  auto gone = registry.Activate(asked, "Cart", true, nullptr, false);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->code, "not_found");
  EXPECT_EQ(registry.Find(asked), nullptr);
  // Without any message, a later spawn sweeps the entry away, once the ones that failed before it
  // are over too (`held` is not yet).
  registry.Crash(swept, "boom", over);
  registry.Spawn("shop", "Cart", 0, nullptr);
  EXPECT_NE(registry.Find(swept), nullptr);
  EXPECT_NE(registry.Find(held), nullptr);
  EXPECT_EQ(registry.metrics().live.load(), 1);
}

TEST(Registry, FailedSpawnedEntriesAreSweptInTheOrderTheyFailed) {
  IdMinter minter;
  Registry registry(0, nullptr, minter);
  auto over = Config(caps::RestartPolicy::kNever);
  over.restart_window_ms = 0;
  std::vector<std::string> failed;
  for (int i = 0; i < 3000; ++i) {  // three chunks' worth, each crashing as it is spawned
    failed.push_back(registry.Spawn("shop", "Cart", 0, nullptr)->address);
    registry.Crash(failed.back(), "boom", over);
  }
  registry.Spawn("shop", "Cart", 0, nullptr);
  for (const std::string& address : failed) EXPECT_EQ(registry.Find(address), nullptr);
  EXPECT_EQ(registry.size(), 1u);
  EXPECT_EQ(registry.spawned_chunks(), 1u);  // the failed ones no longer hold theirs
}

TEST(Registry, SpawningAndStoppingOneAtATimeKeepsOneChunk) {
  IdMinter minter;
  Registry registry(0, nullptr, minter);
  std::string keeper = registry.Spawn("shop", "Cart", 0, nullptr)->address;  // outlives the rest
  for (int i = 0; i < 5000; ++i) {
    auto spawned = *registry.Spawn("shop", "Cart", 0, nullptr);
    ASSERT_NE(registry.Find(spawned.address), nullptr);
    registry.Remove(spawned.address, "stopped");
    EXPECT_LE(registry.spawned_chunks(), 2u) << i;  // the keeper's and the one being filled
  }
  EXPECT_NE(registry.Find(keeper), nullptr);
  EXPECT_EQ(registry.size(), 1u);
}

}  // namespace
}  // namespace mar::actor
