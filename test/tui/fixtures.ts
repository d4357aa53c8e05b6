// Cluster pictures for reducer and view tests: the rows the poller would build for a 3-node cluster.
import type { RemovalPlan } from "../../src/contract/cluster.ts";
import type { AddPlan } from "../../src/tui/state.ts";
import type { ClusterSnapshot, NodeRow } from "../../src/tui/model.ts";
import { initialState, reducer, type Action, type AppState } from "../../src/tui/state.ts";

export const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

export function metaRow(n: number, over: Partial<NodeRow> = {}): NodeRow {
  const httpAddr = `127.0.0.1:${9090 + n}`;
  return {
    key: `meta:${httpAddr}`,
    role: "meta",
    id: n,
    httpAddr,
    raftAddr: `127.0.0.1:${8080 + n}`,
    suffrage: "voter",
    raftActive: true,
    up: true,
    pingMs: 0.4,
    error: null,
    state: n === 1 ? "leader" : "follower",
    term: 3,
    commitIndex: 42,
    appliedIndex: 42,
    lastContactMs: n === 1 ? 0 : 12,
    version: "0.1.0",
    ...over,
  };
}

export function snapshot(rows: NodeRow[], over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  const voters = rows.filter((r) => r.role === "meta" && r.suffrage === "voter");
  return {
    rows,
    leaderHttp: rows.find((r) => r.up && r.state === "leader")?.httpAddr ?? null,
    votersUp: voters.filter((r) => r.up).length,
    votersTotal: voters.length,
    term: 3,
    membershipKnown: true,
    adminBind: "127.0.0.1:8084",
    adminSelf: "127.0.0.1:9091",
    adminError: null,
    polledAt: T0,
    ...over,
  };
}

export const healthy = () => snapshot([metaRow(1), metaRow(2), metaRow(3)]);

export const node3Down = () =>
  snapshot(
    [
      metaRow(1),
      metaRow(2),
      metaRow(3, { up: false, error: "connection refused", state: null, pingMs: null }),
    ],
    {
      polledAt: T0 + 2000,
    },
  );

export function plan(over: Partial<RemovalPlan> = {}): RemovalPlan {
  return {
    node: {
      id: 3,
      httpAddr: "127.0.0.1:9093",
      raftAddr: "127.0.0.1:8083",
      reachable: true,
      raftActive: true,
      isLeader: false,
      suffrage: "voter",
    },
    configIndex: 5,
    voters: [],
    votersBefore: 3,
    votersAfter: 2,
    reachableVotersAfter: 2,
    quorumAfter: 2,
    forceRequired: false,
    refusal: null,
    refusalCode: null,
    warnings: [],
    warningCodes: [],
    ...over,
  };
}

export function stateAfter(
  actions: Action[],
  size = { columns: 120, rows: 30 },
  readOnly: string | null = null,
): AppState {
  return actions.reduce(reducer, initialState({ ...size, readOnly }));
}

export function addPlan(over: Partial<AddPlan> = {}): AddPlan {
  return {
    httpAddr: "127.0.0.1:9094",
    reachable: true,
    raftAddr: "127.0.0.1:8084",
    state: "unbootstrapped",
    votersBefore: 3,
    votersAfter: 4,
    quorumAfter: 3,
    refusal: null,
    warnings: [],
    ...over,
  };
}
