// The failure throttle on a virtual clock, and the bcrypt worker pool on real worker threads.
import { test } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { FailureThrottle, FREE_FAILURES } from "../../src/server/auth-throttle.ts";
import { BcryptPool, PoolBusy } from "../../src/server/bcrypt-pool.ts";

test("five free failures, then blocks of 1 s, 2 s, 4 s … up to 60 s, one check at a time", () => {
  let now = 1_000_000;
  const t = new FailureThrottle(() => now);
  const fail = () => {
    assert.equal(t.waitMs("k"), 0);
    t.begin("k");
    return t.end("k", false);
  };
  for (let i = 1; i < FREE_FAILURES; i++) assert.equal(fail(), 0);
  assert.equal(fail(), 1_000, "the fifth failure blocks for 1 s");
  assert.equal(t.waitMs("k"), 1_000);
  now += 1_000;
  t.begin("k");
  assert.equal(t.waitMs("k"), 1_000, "blocked keys get one check at a time");
  assert.equal(t.end("k", false), 2_000);
  for (let i = 0; i < 10; i++) {
    now += 60_000;
    fail();
  }
  assert.equal(t.waitMs("k"), 60_000, "capped at 60 s");
  assert.equal(t.waitMs("other"), 0, "keys are independent");
  now += 60_000;
  t.begin("k");
  assert.equal(t.end("k", true), 0);
  assert.equal(t.waitMs("k"), 0, "a success forgets the key");
});

test("checks in flight count against the free failures; a cancelled one counts neither way", () => {
  const t = new FailureThrottle(() => 0);
  for (let i = 0; i < FREE_FAILURES; i++) t.begin("k");
  assert.equal(t.waitMs("k"), 1_000, "a burst gets at most five compares");
  t.cancel("k");
  assert.equal(t.waitMs("k"), 0);
});

test("failures are forgotten 15 minutes after the last one", () => {
  let now = 0;
  const t = new FailureThrottle(() => now);
  for (let i = 0; i < FREE_FAILURES; i++) {
    t.begin("k");
    t.end("k", false);
  }
  now += 15 * 60_000 + 1;
  assert.equal(t.waitMs("k"), 0);
  t.begin("k");
  assert.equal(t.end("k", false), 0, "counting starts over");
});

test("the worker pool verifies bcryptjs and Go ($2a$) hashes, refuses non-hashes, and bounds its queue", async () => {
  const pool = new BcryptPool(1, 2);
  try {
    const hash = bcrypt.hashSync("pw", 4);
    const goHash = hash.replace(/^\$2b\$/, "$2a$");
    assert.equal(await pool.compare("pw", hash), true);
    assert.equal(await pool.compare("pw", goHash), true);
    assert.equal(await pool.compare("nope", hash), false);
    assert.equal(await pool.compare("pw", "not a hash"), false);
    const slow = bcrypt.hashSync("pw", 10);
    const queued = [pool.compare("pw", slow), pool.compare("pw", slow), pool.compare("pw", slow)];
    await assert.rejects(pool.compare("pw", slow), PoolBusy);
    assert.deepEqual(await Promise.all(queued), [true, true, true]);
  } finally {
    await pool.close();
  }
});
