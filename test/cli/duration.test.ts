import { test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../src/util/duration.ts";

test("parses Go durations into milliseconds", () => {
  assert.equal(parseDuration("1s"), 1000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("250us"), 0.25);
  assert.equal(parseDuration("0"), 0);
});

test("rejects text that is not a duration, naming it", () => {
  for (const bad of ["", "1", "s", "1x", "1s2", "-1s", "1 s"]) {
    assert.throws(() => parseDuration(bad), { message: new RegExp(`invalid duration "${bad}"`) }, bad);
  }
});

test("formats like Go and round-trips", () => {
  assert.equal(formatDuration(1000), "1s");
  assert.equal(formatDuration(500), "500ms");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(3_600_000), "1h0m0s");
  assert.equal(formatDuration(0), "0s");
  for (const ms of [1, 50, 999, 1000, 1500, 61_000, 7_322_000])
    assert.equal(parseDuration(formatDuration(ms)), ms);
});
