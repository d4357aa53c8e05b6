import { test } from "node:test";
import assert from "node:assert/strict";
import { formatShow, table } from "../../src/ctl/format.ts";

test("columns are padded to the widest cell, two spaces apart, no trailing blanks", () => {
  assert.equal(
    table([
      ["ID", "Address"],
      ["10", "a:1"],
    ]),
    "ID  Address\n10  a:1",
  );
});

test("show prints Enterprise's three sections with = underlines", () => {
  const text = formatShow(
    {
      self: { httpAddr: "n1:8091", raftAddr: "n1:8089" },
      leader: { raftAddr: "n1:8089", httpAddr: "n1:8091" },
      membershipKnown: true,
      raftConfig: {
        index: 7,
        servers: [
          { raftAddr: "n1:8089", suffrage: "voter" },
          { raftAddr: "n2:8089", suffrage: "voter" },
        ],
      },
      meta: [
        {
          id: 1,
          httpAddr: "n1:8091",
          raftAddr: "n1:8089",
          version: "0.1.0",
          reachable: true,
          state: "leader",
          suffrage: "voter",
          raftActive: true,
        },
        {
          id: 2,
          httpAddr: "n2:8091",
          raftAddr: "n2:8089",
          version: "",
          reachable: false,
          state: "unreachable",
          suffrage: "voter",
          raftActive: false,
        },
      ],
      data: [{ id: 4, httpAddr: "d1:8086", tcpAddr: "d1:8088", version: "", reachable: false }],
    },
    "n1:8084",
  );
  assert.equal(
    text,
    [
      "Data Nodes",
      "==========",
      "ID  TCP Address  HTTP Address  Version  Labels  Passive",
      "4   d1:8088      d1:8086       unknown  {}      false",
      "",
      "Meta Nodes",
      "==========",
      "ID  Raft Address  HTTP Address  Version  Labels",
      "1   n1:8089       n1:8091       0.1.0    {}",
      "2   n2:8089       n2:8091       unknown  {}",
      "Warning: meta node 2 at n2:8091 is DOWN",
      "",
      "Raft Status",
      "===========",
      "Leader  n1:8091",
      'Peers   ["n2:8089"]',
      "Fault tolerance: 2 voters, tolerates 0 failures",
      "",
    ].join("\n"),
  );
});

test("show takes the Raft peers from the configuration, marks records outside it, and says when there is no leader", () => {
  const node = (id: number, suffrage: "voter" | "none", reachable: boolean) => ({
    id,
    httpAddr: `n${id}:8091`,
    raftAddr: `n${id}:8089`,
    version: reachable ? "0.1.0" : "",
    reachable,
    state: reachable ? ("follower" as const) : ("unreachable" as const),
    suffrage,
    raftActive: null,
  });
  const text = formatShow(
    {
      self: { httpAddr: "n1:8091", raftAddr: "n1:8089" },
      leader: null,
      membershipKnown: false,
      raftConfig: { index: 9, servers: [{ raftAddr: "n1:8089", suffrage: "voter" }] },
      meta: [node(1, "voter", true), node(2, "none", false)],
      data: [],
    },
    "n1:8084",
  );
  assert.match(text, /Leader {2}none\nPeers {3}\["n1:8089"\]/);
  assert.match(text, /No leader: membership unknown\. Shown is what n1:8091 last knew/);
  assert.match(
    text,
    /Meta node 2 at n2:8091 is not in the Raft configuration \(a metadata record only\); drop it with: influxd-ctl -bind n1:8084 remove-meta -force n2:8091/,
  );
});
