/**
 * `influxd-ctl migrate-meta`: moves a running Go or Enterprise meta tier's metadata and data
 * nodes onto our meta tier, without restarting a data node (docs/operations.md, "Migrating from a
 * Go or Enterprise meta tier").
 *
 * 1. Plan: identify the source (a Go meta node; one of ours is refused), read its `Data` from its
 *    leader (`GET /?index=0`), probe every data node's TCP port (`GET /status`), and compare with
 *    ours: blank (import), already holding exactly this metadata (a second run: no import) or
 *    holding other user data (refused).
 * 2. Import: one SetDataCommand carrying the source's Data with OUR meta nodes (IDs kept unless
 *    one collides with a data node's), its cluster ID and every other ID; our FSM publishes an
 *    index above the source's from then on (`metadataIndex`, src/meta/fsm.ts), so no data node's
 *    cached index is ever above ours.
 * 3. Switch: JoinCluster(update) on every data node with our meta nodes first, then one Go meta
 *    node it already knows (the Go data node accepts a list only when it shares an address with
 *    its current one). Its commands go to ours at once; its open long poll stays on the Go tier.
 * 4. Verify: the source's index must not have moved. When it did and ours has not changed since
 *    the import, the source's new metadata is imported again and the switch repeated (carried
 *    over); when both changed, the data nodes are pointed back at the source and the migration
 *    says so. Nothing is lost silently.
 * 5. Hand over (./migrate-handover.ts): the Go tier's own MetaNodes get ours first, which ends
 *    every data node's open poll on the Go tier with a list that sends its next poll to ours; it
 *    then reads our Data, whose MetaNodes (ours only) become its list and client.json. The
 *    migration waits until every data node reports only ours, and checks that nothing reached the
 *    Go tier meanwhile.
 * 6. Rollback (./migrate-rollback.ts): the data nodes back to the source while it runs.
 *
 * The plan and the comparisons are pure functions; `MigrationEnv` carries the network.
 */
import { decodeData, emptyData, encodeData, type MetaData, type NodeInfo } from "../proto/index.ts";
import { MetaClient } from "../meta/client.ts";
import {
  errorText,
  peerOptions,
  peerUrl,
  request,
  requestJson,
  type PeerAccess,
} from "../util/http-client.ts";
import type {
  DataNodeMigrationState,
  MigrationDataNode,
  MigrationImport,
  MigrationPlan,
  MigrationResult,
} from "../contract/migration.ts";
import type { DataNodeRpc } from "./data-node-rpc.ts";
import { OperationError, refused } from "./errors.ts";
import { identifyMetaNode } from "./identify.ts";
import { goMetaNodes, handedOver, handOver, type GoTier } from "./migrate-handover.ts";

export interface MigrationEnv {
  /** Scheme, TLS and credentials of both meta tiers (the internal secret must match on both). */
  access: PeerAccess;
  /** Our meta nodes' HTTP addresses. */
  ours: string[];
  timeoutMs: number;
  rpc: DataNodeRpc;
  /** How to reach a data node's TCP port for GET /status (https when its port uses TLS). */
  dataAccess: PeerAccess;
  progress: (line: string) => void;
  /** The influxd-ctl command line that runs the migration again with these extra flags. */
  command: (flags: string) => string;
  /** Set when ours is one blank meta node (env.ours names it alone): the plan says a one-node
   *  cluster is formed on it, and a confirmed migration does so (add-meta's bootstrap) first. */
  formBlank?: () => Promise<void>;
  /** Called after each data node is re-pointed (tests change the source mid-switch here). */
  afterSwitch?: (tcpAddr: string) => Promise<void> | void;
}

export interface MigrationOptions {
  from: string;
  force: boolean;
}

/** How many times a source that keeps changing during the switch is imported again. */
const MAX_CARRY_OVERS = 3;
/** How long the data nodes get to read ours after the handover: a Go client that hit an error
 *  sleeps 1 s before its next poll, so this covers a few of those. */
export const HANDOVER_WAIT_MS = 10_000;
/** Raft entries the Go tier may add during the handover beyond its commands (elections). */
const GO_RAFT_SLACK = 1_000;

// ---------------------------------------------------------------------------------------------
// Pure parts

/**
 * The Data ours takes: the source's, with our meta nodes in place of the source's. Every other ID
 * is kept; one of our meta nodes keeps its ID unless a data node of the source has it (IDs of
 * meta and data nodes share one sequence), then it takes the next free one.
 */
export function importedData(source: MetaData, ourMetaNodes: readonly NodeInfo[]): MetaData {
  const taken = new Set(source.dataNodes.map((n) => n.id));
  let next = Math.max(source.maxNodeId, ...source.dataNodes.map((n) => n.id), 0);
  const metaNodes = [...ourMetaNodes]
    .sort((a, b) => a.id - b.id)
    .map((n) => {
      if (!taken.has(n.id)) {
        taken.add(n.id);
        return { ...n };
      }
      while (taken.has(++next));
      taken.add(next);
      return { ...n, id: next };
    })
    .sort((a, b) => a.id - b.id);
  const maxNodeId = Math.max(source.maxNodeId, ...metaNodes.map((n) => n.id), 0);
  return { ...source, metaNodes, maxNodeId };
}

/** The metadata without what differs between two tiers holding the same content: the Raft
 *  position, and the meta nodes (each tier lists its own, and the handover adds ours to Go's). */
function content(data: MetaData): Buffer {
  return Buffer.from(encodeData({ ...data, term: 0, index: 0, metaNodes: [], maxNodeId: 0 }));
}

/** Whether ours holds exactly what importing `source` gives. */
export function holdsImport(ours: MetaData, source: MetaData): boolean {
  return content(ours).equals(content(importedData(source, ours.metaNodes)));
}

/** Whether a Data holds anything an operator made (databases, users, data nodes). */
export function hasUserData(data: MetaData): boolean {
  return data.databases.length > 0 || data.users.length > 0 || data.dataNodes.length > 0;
}

/** What will be imported, for the plan. */
export function importSummary(source: MetaData): MigrationImport {
  let shardGroups = 0;
  let shards = 0;
  const databases = source.databases.map((db) => ({
    name: db.name,
    retentionPolicies: db.retentionPolicies.map((rp) => {
      const live = rp.shardGroups.filter((g) => g.deletedAt === 0n);
      shardGroups += live.length;
      for (const g of live) shards += g.shards.length;
      return { name: rp.name, shardGroups: live.length };
    }),
    continuousQueries: db.continuousQueries.map((cq) => cq.name),
  }));
  return {
    databases,
    users: source.users.map((u) => ({ name: u.name, admin: u.admin, hash: u.hash })),
    dataNodes: source.dataNodes.map((n) => ({ id: n.id, tcpAddr: n.tcpAddr, httpAddr: n.addr })),
    shardGroups,
    shards,
  };
}

/** What `after` holds that `before` does not, and the reverse, one line each (for carry-overs
 *  and rollbacks): databases, policies, CQs, users and data nodes. */
export function metadataChanges(before: MetaData, after: MetaData): string[] {
  const lines: string[] = [];
  const byName = <T extends { name: string }>(list: readonly T[]) => new Map(list.map((x) => [x.name, x]));
  const dbsBefore = byName(before.databases);
  const dbsAfter = byName(after.databases);
  for (const [name, db] of dbsAfter) {
    const old = dbsBefore.get(name);
    if (!old) {
      lines.push(`database ${name} created`);
      continue;
    }
    const rpsBefore = byName(old.retentionPolicies);
    for (const rp of db.retentionPolicies) {
      const was = rpsBefore.get(rp.name);
      if (!was) lines.push(`retention policy ${name}.${rp.name} created`);
      else if (was.shardGroups.length !== rp.shardGroups.length)
        lines.push(
          `retention policy ${name}.${rp.name}: ${was.shardGroups.length} → ${rp.shardGroups.length} shard groups`,
        );
    }
    for (const rp of old.retentionPolicies)
      if (!db.retentionPolicies.some((r) => r.name === rp.name))
        lines.push(`retention policy ${name}.${rp.name} dropped`);
    const cqsBefore = byName(old.continuousQueries);
    for (const cq of db.continuousQueries)
      if (cqsBefore.get(cq.name)?.query !== cq.query)
        lines.push(`continuous query ${name}.${cq.name} created`);
    for (const cq of old.continuousQueries)
      if (!db.continuousQueries.some((c) => c.name === cq.name))
        lines.push(`continuous query ${name}.${cq.name} dropped`);
  }
  for (const name of dbsBefore.keys()) if (!dbsAfter.has(name)) lines.push(`database ${name} dropped`);
  const usersBefore = byName(before.users);
  for (const u of after.users) {
    const was = usersBefore.get(u.name);
    if (!was) lines.push(`user ${u.name} created`);
    else if (JSON.stringify(was) !== JSON.stringify(u)) lines.push(`user ${u.name} changed`);
  }
  for (const u of before.users)
    if (!after.users.some((x) => x.name === u.name)) lines.push(`user ${u.name} dropped`);
  for (const n of after.dataNodes)
    if (!before.dataNodes.some((b) => b.tcpAddr === n.tcpAddr)) lines.push(`data node ${n.tcpAddr} added`);
  for (const n of before.dataNodes)
    if (!after.dataNodes.some((a) => a.tcpAddr === n.tcpAddr)) lines.push(`data node ${n.tcpAddr} removed`);
  if (lines.length === 0 && !content(before).equals(content(after))) lines.push("other metadata changed");
  return lines;
}

/** Where a data node stands, from the meta servers it reports. */
export function dataNodeState(
  metaServers: readonly string[],
  ours: readonly string[],
): DataNodeMigrationState {
  if (metaServers.length === 0) return "on-go";
  if (metaServers.every((s) => ours.includes(s))) return "on-ours";
  return ours.includes(metaServers[0]) ? "switched" : "on-go";
}

/** The list a data node is re-pointed with: ours first (its commands go to metaServers[0]), then
 *  one Go meta node it knows, which the Go data node needs to accept the list. */
export function switchList(
  ours: readonly string[],
  current: readonly string[],
  goMeta: readonly string[],
  goLeader: string,
): string[] {
  const shared =
    current.find((s) => goMeta.includes(s)) ?? current.find((s) => !ours.includes(s)) ?? goLeader;
  return [...ours, shared];
}

// ---------------------------------------------------------------------------------------------
// The network

interface Source {
  addr: string;
  leaderHttp: string;
  version: string;
  data: MetaData;
}

async function readData(env: MigrationEnv, addr: string): Promise<MetaData> {
  const res = await request(peerUrl(env.access, addr, "/?index=0"), {
    timeoutMs: env.timeoutMs,
    ...peerOptions(env.access),
  });
  if (res.status !== 200) throw new OperationError(502, `${addr}: ${errorText(res)}`, "SOURCE_FAILED");
  return decodeData(res.body);
}

/** Identifies the source and reads its Data from its leader. */
export async function readSource(env: MigrationEnv, from: string): Promise<Source> {
  let res;
  try {
    res = await request(peerUrl(env.access, from, "/status"), {
      timeoutMs: env.timeoutMs,
      ...peerOptions(env.access),
    });
  } catch (err) {
    throw new OperationError(502, `source ${from}: ${(err as Error).message}`, "SOURCE_UNREACHABLE");
  }
  if (res.status !== 200) throw new OperationError(502, `source ${from}: ${errorText(res)}`, "SOURCE_FAILED");
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString("utf8"));
  } catch {
    body = null;
  }
  const header = res.headers["x-influxdb-version"];
  const identity = identifyMetaNode(body, typeof header === "string" ? header : undefined);
  if (identity.kind === "ours" || env.ours.includes(from))
    throw refused(
      409,
      `source ${from} is one of our meta nodes: migrate-meta moves a Go or Enterprise meta tier onto ours`,
      "SOURCE_IS_OURS",
    );
  if (identity.kind !== "go-meta")
    throw refused(
      400,
      `source ${from} is not a Go or Enterprise meta node (${identity.kind === "data-node" ? "a data node" : identity.what})`,
      "SOURCE_NOT_META",
    );
  if (!identity.leader) throw new OperationError(503, `source ${from} has no leader`, "SOURCE_NO_LEADER");
  const first = await readData(env, from);
  const leaderHttp = first.metaNodes.find((n) => n.tcpAddr === identity.leader)?.addr ?? from;
  const data = leaderHttp === from ? first : await readData(env, leaderHttp);
  return { addr: from, leaderHttp, version: identity.version, data };
}

async function readOurs(env: MigrationEnv): Promise<MetaData> {
  env.progress(`Reading our meta tier at ${env.ours.join(", ")}…`);
  return oursClient(env).data();
}

function oursClient(env: MigrationEnv): MetaClient {
  return new MetaClient({ servers: env.ours, timeoutMs: env.timeoutMs, access: env.access, maxTries: 5 });
}

interface Probe {
  reachable: boolean;
  metaServers: string[];
  error?: string;
}

async function probeDataNode(env: MigrationEnv, tcpAddr: string): Promise<Probe> {
  try {
    const s = await requestJson<{ nodeType?: string; metaAddrs?: unknown }>(
      peerUrl(env.dataAccess, tcpAddr, "/status"),
      {
        timeoutMs: env.timeoutMs,
        ...peerOptions(env.dataAccess, false),
      },
    );
    const metaServers = Array.isArray(s?.metaAddrs)
      ? s.metaAddrs.filter((x): x is string => typeof x === "string")
      : [];
    return { reachable: true, metaServers };
  } catch (err) {
    return { reachable: false, metaServers: [], error: (err as Error).message };
  }
}

async function probeAll(env: MigrationEnv, source: MetaData, leftBehind: ReadonlySet<string> = new Set()) {
  return Promise.all(
    source.dataNodes.map(async (n): Promise<MigrationDataNode> => {
      const p = await probeDataNode(env, n.tcpAddr);
      const state: DataNodeMigrationState = !p.reachable
        ? leftBehind.has(n.tcpAddr)
          ? "left-behind"
          : "unreachable"
        : dataNodeState(p.metaServers, env.ours);
      return {
        id: n.id,
        tcpAddr: n.tcpAddr,
        httpAddr: n.addr,
        state,
        metaServers: p.metaServers,
        ...(p.error ? { error: p.error } : {}),
      };
    }),
  );
}

/** Step 1: what would be done, and whether it may be. */
export async function planMigration(
  env: MigrationEnv,
  opts: MigrationOptions,
): Promise<{ plan: MigrationPlan; source: Source; ours: MetaData }> {
  env.progress(`Reading the source meta tier at ${opts.from}…`);
  const source = await readSource(env, opts.from);
  // A blank node holds nothing yet, and has no leader to read it from.
  const ours = env.formBlank ? emptyData() : await readOurs(env);
  if (ours.metaNodes.length === 0 && !env.formBlank)
    throw refused(
      409,
      "our meta tier has no meta nodes yet: form it first (influxd-ctl add-meta)",
      "OURS_NOT_FORMED",
    );
  // Once handed over, ours is the data nodes' tier and goes its own way: that is not divergence.
  const finished = handedOver(source.data, env.ours) && ours.clusterId === source.data.clusterId;
  const state =
    finished || holdsImport(ours, source.data) ? "imported" : hasUserData(ours) ? "differs" : "blank";
  env.progress(`Probing ${source.data.dataNodes.length} data node(s) over their TCP ports…`);
  const dataNodes = await probeAll(env, source.data);
  const unreachable = dataNodes.filter((n) => n.state === "unreachable");
  // What going back to the source would lose or undo, once ours took this source's metadata.
  const changes =
    state !== "blank" && ours.clusterId === source.data.clusterId
      ? metadataChanges(importedData(source.data, ours.metaNodes), ours)
      : [];
  let refusal: string | null = null;
  if (state === "differs" && ours.clusterId === source.data.clusterId)
    refusal =
      `ours already took this source's metadata (cluster ID ${ours.clusterId}) and the two have diverged since ` +
      `(${changes.join("; ")}): finish with the tier the data nodes use, ` +
      `or roll back with -rollback`;
  else if (state === "differs")
    refusal =
      `our cluster already holds other metadata (${ours.databases.length} database(s), ${ours.users.length} user(s), ` +
      `${ours.dataNodes.length} data node(s)): migrate-meta imports only into a cluster without user data`;
  else if (unreachable.length > 0 && !opts.force)
    refusal =
      `data node(s) ${unreachable.map((n) => n.tcpAddr).join(", ")} did not answer on their TCP port: start them, ` +
      `or add -force to leave them on the Go tier`;
  if (opts.force) for (const n of unreachable) n.state = "left-behind";
  const plan: MigrationPlan = {
    source: {
      addr: source.addr,
      leaderHttp: source.leaderHttp,
      version: source.version,
      index: source.data.index,
      clusterId: source.data.clusterId.toString(),
      metaNodes: goMetaNodes(source.data, env.ours).map((n) => n.addr),
    },
    ours: {
      metaNodes: env.formBlank ? env.ours : ours.metaNodes.map((n) => n.addr),
      index: ours.index,
      state,
      changes,
      formsOn: env.formBlank ? env.ours[0] : null,
    },
    import: importSummary(source.data),
    dataNodes,
    refusal,
  };
  return { plan, source, ours };
}

export function result(plan: MigrationPlan, over: Partial<MigrationResult>): MigrationResult {
  return {
    outcome: "done",
    plan,
    importedIndex: null,
    carriedOver: [],
    changesOnOurs: [],
    error: null,
    next: null,
    stop: plan.source.metaNodes,
    ...over,
  };
}

/**
 * Imports `data` into ours. Our index then goes on from above the source's plus the room the
 * handover needs: the handover itself moves the source's index (one command, then two per Go
 * meta node, and Go's Raft may add entries of its own, e.g. after an election), and a data node
 * that took the last Go snapshot polls ours with that index, so ours must already be above it.
 * Never below ours' own index, which only goes up.
 */
async function importInto(env: MigrationEnv, data: MetaData, ours: MetaData): Promise<number> {
  const room = 2 * goMetaNodes(data, env.ours).length + 1 + GO_RAFT_SLACK;
  const { index } = await oursClient(env).execute({
    type: "SetDataCommand",
    data: { ...importedData(data, ours.metaNodes), index: Math.max(data.index + room, ours.index) },
  });
  return index;
}

/** JoinCluster(update) on each data node in turn; stops at the first failure. */
async function switchNodes(env: MigrationEnv, plan: MigrationPlan, source: MetaData): Promise<string | null> {
  for (const node of plan.dataNodes) {
    if (node.state === "left-behind" || node.state === "on-ours" || node.state === "switched") continue;
    const list = switchList(
      env.ours,
      node.metaServers,
      goMetaNodes(source, env.ours).map((n) => n.addr),
      plan.source.leaderHttp,
    );
    env.progress(`Re-pointing data node ${node.tcpAddr} to ${list.join(", ")}…`);
    try {
      await env.rpc.joinCluster(node.tcpAddr, list, true);
      node.state = "switched";
      node.metaServers = list;
      delete node.error;
    } catch (err) {
      node.state = "failed";
      node.error = (err as Error).message;
      return `data node ${node.tcpAddr}: ${node.error}`;
    }
    await env.afterSwitch?.(node.tcpAddr);
  }
  return null;
}

/** Points every reachable data node back at the source; returns the failures. */
export async function pointBack(env: MigrationEnv, plan: MigrationPlan, source: MetaData): Promise<string[]> {
  const goMeta = goMetaNodes(source, env.ours).map((n) => n.addr);
  const failures: string[] = [];
  for (const node of plan.dataNodes) {
    if (node.state === "left-behind" || node.state === "unreachable") continue;
    env.progress(`Pointing data node ${node.tcpAddr} back to ${goMeta.join(", ")}…`);
    try {
      await env.rpc.joinCluster(node.tcpAddr, goMeta, true);
      node.state = "on-go";
      node.metaServers = goMeta;
      delete node.error;
    } catch (err) {
      node.state = "failed";
      node.error =
        `${(err as Error).message}` +
        (/already joined/.test((err as Error).message)
          ? " (it reads our metadata already: its cached index is above the source's, so it stays on ours)"
          : "");
      failures.push(`data node ${node.tcpAddr}: ${node.error}`);
    }
  }
  return failures;
}

export function goTier(env: MigrationEnv, plan: MigrationPlan): GoTier {
  return {
    access: env.access,
    leaderHttp: plan.source.leaderHttp,
    timeoutMs: env.timeoutMs,
    progress: env.progress,
  };
}

/** The data nodes as they report themselves now (left-behind ones keep that state). */
async function reprobe(env: MigrationEnv, plan: MigrationPlan, source: MetaData): Promise<void> {
  const behind = new Set(plan.dataNodes.filter((n) => n.state === "left-behind").map((n) => n.tcpAddr));
  for (const n of await probeAll(env, source, behind)) {
    const planned = plan.dataNodes.find((p) => p.tcpAddr === n.tcpAddr);
    if (planned && planned.state !== "left-behind") Object.assign(planned, n);
  }
}

/** Waits (bounded) until every data node taken along is `settled`; returns those that are not. */
export async function awaitDataNodes(
  env: MigrationEnv,
  plan: MigrationPlan,
  source: MetaData,
  settled: (n: MigrationDataNode) => boolean,
): Promise<MigrationDataNode[]> {
  const deadline = Date.now() + HANDOVER_WAIT_MS;
  for (;;) {
    await reprobe(env, plan, source);
    const waiting = plan.dataNodes.filter((n) => n.state !== "left-behind" && !settled(n));
    if (waiting.length === 0 || Date.now() >= deadline) return waiting;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Steps 2 to 5: import, switch, verify (with carry-over or rollback), hand over. */
export async function migrate(
  env: MigrationEnv,
  opts: MigrationOptions & { dryRun: boolean },
): Promise<MigrationResult> {
  const planned = await planMigration(env, opts);
  const { plan, source } = planned;
  if (opts.dryRun) return result(plan, { outcome: "dry-run" });
  if (plan.refusal) throw refused(409, plan.refusal, "MIGRATION_REFUSED");
  let ours = planned.ours;
  if (env.formBlank) {
    env.progress(`Forming a one-node cluster on ${env.ours[0]} (as influxd-ctl add-meta does)…`);
    await env.formBlank();
    ours = await readOurs(env);
  }
  const pending = plan.dataNodes.filter((n) => n.state !== "on-ours" && n.state !== "left-behind");
  if (plan.ours.state === "imported" && handedOver(source.data, env.ours) && pending.length === 0)
    return result(plan, { outcome: "nothing-to-do", importedIndex: ours.index });

  const continueCmd = env.command(opts.force ? "-force -y" : "-y");
  const rollbackCmd = env.command("-rollback -y");
  let importedIndex = ours.index;
  if (plan.ours.state !== "imported") {
    env.progress(`Importing the source's metadata (index ${source.data.index}) into ours…`);
    importedIndex = await importInto(env, source.data, ours);
    env.progress(`Imported: our metadata index is now ${importedIndex}.`);
  }
  let base = source.data;
  const carriedOver: string[] = [];
  for (let round = 0; ; round++) {
    const failure = await switchNodes(env, plan, base);
    if (failure)
      return result(plan, {
        outcome: "failed",
        importedIndex,
        carriedOver,
        error: `switch stopped at ${failure}`,
        next: `${continueCmd}   (or roll back: ${rollbackCmd})`,
      });
    // This check comes before the handover, which moves the source's index itself.
    env.progress("Verifying that the source has not changed since the import…");
    const now = await readData(env, plan.source.leaderHttp);
    if (now.index === base.index || content(now).equals(content(base))) {
      base = now;
      break;
    }
    const oursNow = await oursClient(env).data();
    const sourceChanges = metadataChanges(base, now);
    if (holdsImport(oursNow, base) && round < MAX_CARRY_OVERS) {
      env.progress(
        `The source changed during the switch (${sourceChanges.join("; ") || "index only"}): importing it again…`,
      );
      carriedOver.push(...sourceChanges);
      importedIndex = await importInto(env, now, oursNow);
      base = now;
      plan.source.index = now.index;
      // A snapshot from the source resets a data node's list to the source's: switch again.
      for (const n of plan.dataNodes) if (n.state === "switched") n.state = "on-go";
      continue;
    }
    const oursChanges = metadataChanges(importedData(base, oursNow.metaNodes), oursNow);
    const failures = await pointBack(env, plan, now);
    return result(plan, {
      outcome: "failed",
      importedIndex,
      carriedOver,
      changesOnOurs: oursChanges,
      error:
        `the source changed during the switch (${sourceChanges.join("; ") || "index " + base.index + " → " + now.index}) ` +
        `and so did ours (${oursChanges.join("; ") || "index only"}): rolled the data nodes back to the source` +
        (failures.length ? `; could not roll back ${failures.join("; ")}` : ""),
      next: null,
      stop: [],
    });
  }

  const ourFirst = (await oursClient(env).data()).metaNodes.find((n) => n.addr === env.ours[0]);
  if (!ourFirst)
    throw new OperationError(503, `our meta node ${env.ours[0]} is not in our metadata`, "OURS_CHANGED");
  if (!handedOver(base, env.ours)) {
    env.progress(
      "Handing over: the Go tier's metadata names our meta node first, so each data node's poll moves to ours…",
    );
    await handOver(goTier(env, plan), base, ourFirst);
  }
  // Between two handover steps a data node's commands go to the Go tier again: find what landed
  // there. And ours must stay above any Go index a data node took (see importInto).
  const carryLate = async (): Promise<string | null> => {
    const after = await readData(env, plan.source.leaderHttp);
    const lateChanges = metadataChanges(base, after);
    const oursNow = await oursClient(env).data();
    if (lateChanges.length === 0 && after.index < oursNow.index) return null;
    if (!holdsImport(oursNow, base))
      return lateChanges.length > 0
        ? `committed on the Go tier during the handover, not on ours: ${lateChanges.join("; ")}; ours has changed since, so repeat these on ours`
        : `the Go tier's index (${after.index}) passed ours (${oursNow.index}) during the handover, and ours has changed since the import`;
    env.progress(
      `Carrying over what reached the Go tier during the handover: ${lateChanges.join("; ") || `index ${after.index}`}…`,
    );
    carriedOver.push(...lateChanges);
    importedIndex = await importInto(env, after, oursNow);
    base = after;
    return null;
  };
  let lateError = await carryLate();
  let waiting: MigrationDataNode[] = [];
  if (!lateError) {
    env.progress("Waiting until every data node reads our metadata…");
    waiting = await awaitDataNodes(env, plan, base, (n) => n.state === "on-ours");
    lateError = await carryLate();
  }
  if (lateError)
    return result(plan, { outcome: "failed", importedIndex, carriedOver, error: lateError, next: null });
  if (waiting.length > 0)
    return result(plan, {
      outcome: "failed",
      importedIndex,
      carriedOver,
      error: `data node(s) ${waiting.map((n) => `${n.tcpAddr} (${n.state})`).join(", ")} do not report only our meta nodes`,
      next: `${continueCmd}   (or roll back: ${rollbackCmd})`,
    });
  return result(plan, { importedIndex, carriedOver });
}
