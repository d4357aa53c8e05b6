// Leases and announcements of the Enterprise meta API, on a virtual clock, with the defaults the
// configuration gives them (lease-duration 1m, announcement-expiration 30s).
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultConfig } from "../../src/daemon/config.ts";
import {
  Announcements,
  MAX_GOSSIP_ENTRIES,
  parseAnnouncement,
} from "../../src/meta/enterprise/announcements.ts";
import { Leases } from "../../src/meta/enterprise/leases.ts";
import { goTime } from "../../src/contract/data-tier.ts";
import { RateLimit } from "../../src/server/rate-limit.ts";

const defaults = defaultConfig().meta;

test("the defaults are Go's: leases of 1m, announcements kept 30s, gossip every 5s", () => {
  assert.equal(defaults["lease-duration"], 60_000);
  assert.equal(defaults["announcement-expiration"], 30_000);
  assert.equal(defaults["gossip-frequency"], 5_000);
});

test("a lease: granted when free, renewed by its holder, refused to others until it expires", () => {
  let now = 1_000_000;
  const leases = new Leases(defaults["lease-duration"], () => now);
  const first = leases.acquire("continuous_querier", 4);
  assert.deepEqual(first, {
    lease: { name: "continuous_querier", expiration: new Date(now + 60_000).toISOString(), owner: 4 },
    acquired: true,
  });
  now += 59_999;
  assert.deepEqual(leases.acquire("continuous_querier", 5), { lease: first.lease, acquired: false });
  assert.equal(leases.acquire("continuous_querier", 4).acquired, true, "renewed");
  now += 59_999;
  assert.equal(leases.acquire("continuous_querier", 5).acquired, false, "the renewal counts from its time");
  assert.equal(leases.acquire("other", 5).acquired, true, "leases are per name");
  now += 2;
  const taken = leases.acquire("continuous_querier", 5);
  assert.equal(taken.acquired, true);
  assert.equal(taken.lease.owner, 5);
});

const announcement = (tcpAddr: string, version: string, extra: object = {}) =>
  parseAnnouncement({
    tcpAddr,
    httpAddr: tcpAddr.replace(":8088", ":8086"),
    httpScheme: "http",
    time: "0001-01-01T00:00:00Z",
    nodeType: "data",
    status: "joined",
    context: null,
    version,
    ...extra,
  });

/** The nodes of the metadata in these tests. */
const REGISTERED = new Set(["m1:8089", "m2:8089", "d1:8088", "d2:8088", "d8:8088", "d9:8088"]);
const registered = (tcpAddr: string) => REGISTERED.has(tcpAddr);

test("announcements expire 30 s after they were heard unless renewed", () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const heard = new Announcements(defaults["announcement-expiration"], "m1:8089", registered, () => now);
  heard.receive(announcement("d1:8088", "1.8.11-c1.2.0"));
  assert.equal(heard.get("d1:8088")?.version, "1.8.11-c1.2.0");
  assert.equal(heard.get("d1:8088")?.time, "2026-01-01T00:00:00.000Z", "stamped when heard");
  now += 29_000;
  heard.receive(announcement("d2:8088", "1.8.11-c1.2.0"));
  now += 1_000;
  assert.ok(heard.get("d1:8088"), "still there at exactly 30 s");
  now += 1;
  assert.equal(heard.get("d1:8088"), undefined, "gone after 30 s");
  assert.deepEqual(Object.keys(heard.all()), ["d2:8088"]);
});

test("gossip: passed-on announcements keep their age on the receiver's clock, a newer one wins, self and junk are skipped", () => {
  let now = Date.parse("2026-01-01T00:01:00Z");
  const heard = new Announcements(30_000, "m1:8089", registered, () => now);
  // The sender's clock runs an hour behind ours: only differences on its clock count.
  heard.receive(
    announcement("m2:8089", "0.1.0", {
      nodeType: "meta",
      time: "2025-12-31T23:01:00Z",
      context: {
        gossip: {
          "d1:8088": { ...announcement("d1:8088", "old"), time: "2025-12-31T23:00:40Z" },
          "m1:8089": { ...announcement("m1:8089", "me"), time: "2025-12-31T23:00:59Z" },
          "d9:8088": { tcpAddr: 7 },
          "d8:8088": { ...announcement("d8:8088", "x"), time: "not a time" },
        },
      },
    }),
  );
  assert.equal(heard.get("m2:8089")?.version, "0.1.0");
  assert.equal(heard.get("m2:8089")?.context, undefined, "the gossip itself is not kept");
  assert.equal(heard.get("d1:8088")?.version, "old");
  assert.equal(heard.get("d1:8088")?.time, "2026-01-01T00:00:40.000Z", "20 s old, on our clock");
  assert.equal(heard.get("m1:8089"), undefined, "a meta node never records itself");
  assert.deepEqual(Object.keys(heard.all()).sort(), ["d1:8088", "m2:8089"]);
  // Heard 20 s ago by someone else: expires 10 s from now, not 30.
  now += 10_001;
  assert.equal(heard.get("d1:8088"), undefined);
  // An older gossip does not replace a newer direct announcement.
  heard.receive(announcement("d1:8088", "new"));
  heard.receive(
    announcement("m2:8089", "0.1.0", {
      time: "2025-12-31T23:01:20Z",
      context: {
        gossip: { "d1:8088": { ...announcement("d1:8088", "stale"), time: "2025-12-31T23:01:15Z" } },
      },
    }),
  );
  assert.equal(heard.get("d1:8088")?.version, "new");
});

test("gossip never renews an entry: passed round a ring of meta nodes it still expires", () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const clock = () => now;
  const nodes = ["m1:8089", "m2:8089", "m3:8089"].map((self) => ({
    self,
    table: new Announcements(30_000, self, (a) => a === "d1:8088" || a.startsWith("m"), clock),
  }));
  nodes[0].table.receive(announcement("d1:8088", "v"));
  // Every 5 s each node passes what it has to the next, as Gossip does (its own clock as `time`).
  for (let round = 0; round < 12; round++) {
    now += 5_000;
    for (let i = 0; i < nodes.length; i++) {
      const from = nodes[i];
      const to = nodes[(i + 1) % nodes.length];
      to.table.receive(
        announcement(from.self, "v", {
          nodeType: "meta",
          time: new Date(now).toISOString(),
          context: { gossip: from.table.all() },
        }),
      );
    }
  }
  for (const { table } of nodes) assert.equal(table.get("d1:8088"), undefined, "expired everywhere");
});

test("gossip dated in the future counts as just heard and expires; unknown nodes and zero-time senders are not taken", () => {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const heard = new Announcements(30_000, "m1:8089", registered, () => now);
  const sentNow = new Date(now).toISOString();
  heard.receive(
    announcement("m2:8089", "0.1.0", {
      time: sentNow,
      context: {
        gossip: {
          "d1:8088": { ...announcement("d1:8088", "future"), time: "2099-01-01T00:00:00Z" },
          "evil:1": { ...announcement("evil:1", "x"), time: sentNow },
        },
      },
    }),
  );
  assert.equal(heard.get("d1:8088")?.time, sentNow, "a future date is stamped with our clock");
  assert.equal(heard.get("evil:1"), undefined, "gossip about a node not in the metadata is dropped");
  now += 30_001;
  assert.equal(heard.get("d1:8088"), undefined, "and expires like any other");
  // A sender that gives no time of its own (Go's zero time): its entries' ages are unknown.
  heard.receive(
    announcement("m2:8089", "0.1.0", {
      context: { gossip: { "d2:8088": { ...announcement("d2:8088", "x"), time: sentNow } } },
    }),
  );
  assert.equal(heard.get("d2:8088"), undefined);
});

test("a sender not in the metadata is heard, never passed on, and at most 64 such are kept", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  const heard = new Announcements(30_000, "m1:8089", registered, () => now);
  heard.receive(announcement("new-data:8088", "1.8.11-c1.2.0"));
  assert.equal(
    heard.get("new-data:8088")?.version,
    "1.8.11-c1.2.0",
    "a data node announcing before add-data",
  );
  assert.deepEqual(Object.keys(heard.all()), [], "not passed on");
  for (let i = 0; i < 1_000; i++) heard.receive(announcement(`x${i}:8088`, "x"));
  assert.equal(heard.size(), 64);
  assert.equal(heard.get("new-data:8088"), undefined, "the oldest went first");
  assert.ok(heard.get("x999:8088"));
});

test("an announcement is bounded: too many gossip entries or too long a field is refused", () => {
  const gossip: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_GOSSIP_ENTRIES; i++) gossip[`d${i}:8088`] = {};
  assert.throws(
    () => parseAnnouncement({ tcpAddr: "m2:8089", context: { gossip } }),
    /"context.gossip" has more than 1000 entries/,
  );
  delete gossip["d0:8088"];
  assert.doesNotThrow(() => parseAnnouncement({ tcpAddr: "m2:8089", context: { gossip } }));
  assert.throws(() => parseAnnouncement({ tcpAddr: "x".repeat(301) }), /"tcpAddr" is longer than 300/);
});

test("a malformed announcement is refused with the field named", () => {
  assert.throws(() => parseAnnouncement([]), /must be a JSON object/);
  assert.throws(() => parseAnnouncement({ httpAddr: "x" }), /"tcpAddr" is required/);
  assert.throws(() => parseAnnouncement({ tcpAddr: "x", version: 1 }), /"version" must be a string/);
  assert.throws(() => parseAnnouncement({ tcpAddr: "x", context: "y" }), /"context" must be an object/);
});

test("times as Go's encoding/json writes them: RFC 3339 UTC, fraction without trailing zeros, zero time", () => {
  assert.equal(goTime(0n), "0001-01-01T00:00:00Z");
  assert.equal(goTime(1_767_225_600_000_000_000n), "2026-01-01T00:00:00Z");
  assert.equal(goTime(1_767_225_600_123_456_789n), "2026-01-01T00:00:00.123456789Z");
  assert.equal(goTime(1_767_225_600_120_000_000n), "2026-01-01T00:00:00.12Z");
  assert.equal(goTime(-1n), "1969-12-31T23:59:59.999999999Z");
});

test("a rate limit per key: a burst, then calls at the refill pace, keys independent", () => {
  let now = 0;
  const limit = new RateLimit(10, 20, () => now);
  for (let i = 0; i < 20; i++) assert.equal(limit.take("a"), 0);
  assert.equal(limit.take("a"), 100, "the 21st waits one refill (100 ms at 10 a second)");
  assert.equal(limit.take("b"), 0);
  now += 100;
  assert.equal(limit.take("a"), 0);
  assert.ok(limit.take("a") > 0);
  now += 10_000;
  for (let i = 0; i < 20; i++) assert.equal(limit.take("a"), 0, "refilled up to the burst, no more");
  assert.ok(limit.take("a") > 0);
});
