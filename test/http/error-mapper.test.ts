/**
 * The one error mapper (src/server/errors.ts): every known state has its status and code, every
 * 503 carries Retry-After, and only an unknown error is a 500.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { OperationError } from "../../src/cluster/errors.ts";
import { NotLeader } from "../../src/meta/service.ts";
import { LeadershipLostError, NotLeaderError, InvalidConfigChangeError } from "../../src/raft/errors.ts";
import { removalFacts, RemovalRefusedError } from "../../src/raft/membership.ts";
import { HttpError, httpErrorOf } from "../../src/server/errors.ts";

const RETRY = { "retry-after": "1" };

test("leadership that moved during a request is a 503 with Retry-After, never a 500", () => {
  // The case a hostile client found: a leader-only route whose leader stepped down mid-request.
  for (const [err, code] of [
    [new NotLeader(null), "NO_LEADER"],
    [new NotLeader("m2:8091"), "NOT_LEADER"],
    [new NotLeaderError(null), "NOT_LEADER"],
    [new LeadershipLostError(), "LEADERSHIP_LOST"],
  ] as const) {
    const answer = httpErrorOf(err);
    assert.equal(answer.status, 503, String(err));
    assert.equal(answer.code, code);
    assert.deepEqual(answer.headers, RETRY);
  }
});

test("operation errors keep their status and code; only 503 says to retry", () => {
  const refused = httpErrorOf(new OperationError(409, "meta node x is the last voter", "LAST_VOTER"));
  assert.deepEqual([refused.status, refused.code, refused.headers], [409, "LAST_VOTER", {}]);
  const passing = new OperationError(503, "no leader", "NO_LEADER");
  assert.equal(passing.retryable, true);
  assert.deepEqual(httpErrorOf(passing).headers, RETRY);
  assert.equal(new OperationError(502, "data node down").retryable, false);
  // A 503 a route raised itself gets Retry-After too.
  assert.deepEqual(httpErrorOf(new HttpError(503, "busy")).headers, RETRY);
});

test("Raft refusals are 409 with their code; a removal the leader refused is worded by the rules", () => {
  const invalid = httpErrorOf(new InvalidConfigChangeError("server x is not in the configuration"));
  assert.deepEqual([invalid.status, invalid.code], [409, "INVALID_CONFIG_CHANGE"]);
  const config = {
    servers: ["a", "b"].map((id) => ({ id, address: id, suffrage: "voter" as const })),
  };
  const facts = removalFacts(config, "b", (id) => id === "b");
  const removal = httpErrorOf(new RemovalRefusedError("QUORUM_AT_RISK", facts, "m2:8091"));
  assert.equal(removal.status, 409);
  assert.equal(removal.code, "QUORUM_AT_RISK");
  assert.match(
    removal.message,
    /^removing meta node m2:8091 would leave 0 active voter\(s\).*or use -force$/,
  );
});

test("an unknown error is a 500 (a bug, not a state)", () => {
  const answer = httpErrorOf(new TypeError("Cannot read properties of undefined"));
  assert.deepEqual([answer.status, answer.code], [500, undefined]);
});
