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
  const text = formatShow({
    self: { httpAddr: "n1:8091", raftAddr: "n1:8089" },
    leader: { raftAddr: "n1:8089", httpAddr: "n1:8091" },
    membershipKnown: true,
    meta: [
      {
        id: 1,
        httpAddr: "n1:8091",
        raftAddr: "n1:8089",
        version: "0.1.0",
        reachable: true,
        state: "leader",
        suffrage: "voter",
        raftActive: null,
      },
      {
        id: 2,
        httpAddr: "n2:8091",
        raftAddr: "n2:8089",
        version: "",
        reachable: false,
        state: "unreachable",
        suffrage: "voter",
        raftActive: null,
      },
    ],
    data: [{ id: 4, httpAddr: "d1:8086", tcpAddr: "d1:8088", version: "", reachable: false }],
  });
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
      "",
    ].join("\n"),
  );
});
