// The state machine behind /execute, in process, with every command type (including those that
// rewrite the whole metadata or the membership records, which the cluster suite leaves out):
// whatever passes validation applies without an exception, and applies the same on every server.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MetaStateMachine } from "../../src/meta/fsm.ts";
import { decodeCommand, ProtoError } from "../../src/proto/index.ts";
import { EntryType } from "../../src/raft/types.ts";
import { anyBody } from "../support/hostile-inputs.ts";

test("accepted bodies apply without throwing and two servers end with identical metadata", () => {
  fc.assert(
    fc.property(fc.array(anyBody, { maxLength: 20 }), (bodies) => {
      const servers = [new MetaStateMachine(), new MetaStateMachine()];
      let index = 0;
      for (const data of bodies) {
        try {
          decodeCommand(data); // what /execute's validateCommand runs, in slices
        } catch (err) {
          // Refusal is always a ProtoError (400 with its message), never another exception.
          assert.ok(err instanceof ProtoError, String(err));
          continue;
        }
        index++;
        const results = servers.map((fsm) => fsm.apply({ type: EntryType.Command, term: 1, index, data }));
        assert.deepEqual(results[0], results[1]);
        if (results[0].error !== undefined) assert.equal(typeof results[0].error, "string");
      }
      assert.deepEqual(servers[0].snapshot(), servers[1].snapshot());
      // The Raft index, or above it once a SetDataCommand imported a higher one (metadataIndex).
      assert.equal(servers[0].index(), servers[1].index());
      assert.ok(servers[0].index() >= index);
    }),
    { numRuns: 600, includeErrorInReport: true },
  );
});
