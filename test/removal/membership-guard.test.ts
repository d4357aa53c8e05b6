/**
 * Membership changes checked on the leader when it appends them (src/raft/membership.ts and
 * RaftNode.removeServer's prevIndex and precondition): the leader's view of who is active, a
 * configuration that moved since the check, and the removal rules themselves.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigChangedError } from "../../src/raft/errors.ts";
import {
  quorumMatch,
  removalFacts,
  removalRefusal,
  RemovalRefusedError,
  type RemovalFacts,
} from "../../src/raft/membership.ts";
import type { LeaderView } from "../../src/raft/host.ts";
import type { Configuration } from "../../src/raft/types.ts";
import { HostCluster, TIMING } from "../raft/support/memhost.ts";

const config = (voters: string[]): Configuration => ({
  servers: voters.map((id) => ({ id, address: `${id}:8089`, suffrage: "voter" as const })),
});

describe("quorum arithmetic", () => {
  test("quorumMatch is the highest index a majority of voters stores", () => {
    assert.equal(quorumMatch([7]), 7);
    assert.equal(quorumMatch([5, 9]), 5);
    assert.equal(quorumMatch([3, 9, 5]), 5);
    assert.equal(quorumMatch([9, 0, 0]), 0);
    assert.equal(quorumMatch([4, 4, 8, 1]), 4);
    assert.equal(quorumMatch([10, 2, 8, 6, 4]), 6);
    const matches = [1, 3, 2];
    quorumMatch(matches);
    assert.deepEqual(matches, [3, 2, 1]); // sorted in place, descending
  });
});

describe("removal rules", () => {
  test("quorum arithmetic counts active voters left after the removal", () => {
    const six = config(["a", "b", "c", "d", "e", "f"]);
    const active = new Set(["a", "b", "c", "d"]);
    const f = removalFacts(six, "d", (id) => active.has(id));
    assert.deepEqual(f, {
      targetIsVoter: true,
      targetActive: true,
      votersBefore: 6,
      votersAfter: 5,
      activeVotersAfter: 3,
      quorumAfter: 3,
    } satisfies RemovalFacts);
    assert.equal(removalRefusal(f, false), null);
    // The same cluster after that removal: removing another active voter leaves 2 of 4.
    const five = config(["a", "b", "c", "e", "f"]);
    const g = removalFacts(five, "c", (id) => active.has(id));
    assert.equal(removalRefusal(g, false), "QUORUM_AT_RISK");
    assert.equal(removalRefusal(g, true), null, "-force overrides the quorum rule");
  });

  test("an inactive target needs -force; the last voter is refused even with it", () => {
    const three = config(["a", "b", "c"]);
    assert.equal(
      removalRefusal(
        removalFacts(three, "c", (id) => id !== "c"),
        false,
      ),
      "TARGET_INACTIVE",
    );
    assert.equal(
      removalRefusal(
        removalFacts(three, "c", (id) => id !== "c"),
        true,
      ),
      null,
    );
    const one = config(["a"]);
    assert.equal(
      removalRefusal(
        removalFacts(one, "a", () => true),
        true,
      ),
      "LAST_VOTER",
    );
  });
});

describe("RaftNode.removeServer checked when the leader appends it", () => {
  test("the leader's view marks a cut-off voter inactive within an election timeout", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c"]);
    const leader = c.leader()!;
    const [b, d] = ["a", "b", "c"].filter((id) => id !== leader.id);
    await c.clock.advance(TIMING.heartbeatIntervalMs * 3);
    assert.ok(
      leader.servers().every((s) => s.active === true),
      "all active at first",
    );
    c.net.isolated.add(`${b}:8089`);
    await c.clock.advance(TIMING.electionTimeoutMs * 2);
    const view = new Map(leader.servers().map((s) => [s.id, s.active]));
    assert.equal(view.get(b), false);
    assert.equal(view.get(d), true);
    assert.ok(
      c
        .node(d)
        .servers()
        .every((s) => s.active === null),
      "followers have no view",
    );

    // Removing the healthy follower would leave 1 active voter of 2: refused when appended.
    const err = await c
      .run(
        leader.removeServer(d, undefined, {
          precondition: (v: LeaderView) => {
            const facts = removalFacts(v.config, d, v.active);
            const code = removalRefusal(facts, false);
            return code ? new RemovalRefusedError(code, facts, d) : null;
          },
        }),
      )
      .catch((e: unknown) => e);
    assert.ok(err instanceof RemovalRefusedError, String(err));
    assert.equal(err.code, "QUORUM_AT_RISK");
    assert.equal(leader.stats().voters.length, 3, "nothing was appended");
    await c.shutdownAll();
  });

  test("a change carrying an old configuration index is refused with CONFIG_CHANGED", async () => {
    const c = await HostCluster.bootstrapped(["a", "b", "c", "d", "e"]);
    const leader = c.leader()!;
    await c.clock.advance(TIMING.heartbeatIntervalMs * 3);
    const seen = leader.stats().configIndex;
    const [x, y] = ["a", "b", "c", "d", "e"].filter((id) => id !== leader.id);
    await c.run(leader.removeServer(x, undefined, { prevIndex: seen }));
    const err = await c.run(leader.removeServer(y, undefined, { prevIndex: seen })).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigChangedError, String(err));
    assert.equal(err.code, "CONFIG_CHANGED");
    assert.equal(leader.stats().voters.length, 4);
    await c.shutdownAll();
  });
});
