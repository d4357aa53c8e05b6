// Hostile parameters for every admin endpoint of a real 3-node cluster, as query strings and as
// form bodies, with wrong methods and duplicated names: the answer is a 4xx with a JSON error
// that names the problem, membership does not change, and no path in the input ever reaches the
// file system.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import fc from "fast-check";
import { LocalCluster } from "../../src/demo/local-cluster.ts";
import { request, type HttpResponse } from "../../src/util/http-client.ts";
import { status } from "../support/cluster.ts";
import { hostileString } from "../support/hostile-inputs.ts";

/** Names every path-like input carries, so that a file created from input can be found. */
const MARKER = `fuzz-marker-${randomBytes(6).toString("hex")}`;
const TIMEOUT_MS = 15_000;

const ENDPOINTS = [
  "/ping",
  "/show",
  "/remove-meta/plan",
  "/remove-meta",
  "/leave",
  "/add-meta",
  "/join",
  "/add-data",
  "/remove-data",
  "/update-data",
] as const;
const PARAM_NAMES = ["metahttp", "addr", "tcpAddr", "force", "old", "new", "raftAddr", "serverId"];

let cluster: LocalCluster;
let leader: number;
before(async () => {
  cluster = await LocalCluster.start({ size: 3 });
  leader = await cluster.leaderIndex();
});
after(() => cluster?.stop());

const pathLike = fc.constantFrom(
  `../../tmp/${MARKER}`,
  `../../../../../../tmp/${MARKER}/x`,
  `/tmp/${MARKER}`,
  `${tmpdir()}/${MARKER}:8091`,
  `file:///tmp/${MARKER}`,
  `file:///tmp/${MARKER}:8091`,
  `%2e%2e/%2e%2e/tmp/${MARKER}`,
  `..%2f..%2ftmp%2f${MARKER}`,
  `${MARKER}/../${MARKER}:8091`,
  `./${MARKER}`,
  `~/${MARKER}`,
  `\\\\server\\share\\${MARKER}`,
  "../../etc/passwd",
  "/etc/passwd:22",
);
const addressLike = fc.constantFrom(
  "127.0.0.1:1",
  "127.0.0.1:99999",
  "localhost:0",
  "[::1]:1",
  "[:1",
  "..:8091",
  ".:1",
  "%zz:1",
  "<script>:1",
  "a|b:1",
  "a^b:1",
  "\0:1",
  "a\0b:8091",
  "host:-1",
  "host:80 ",
  " host:80",
  ":8091",
  "user@host:1",
  "http://127.0.0.1:1",
  "💥:8091",
);
const value = fc.oneof(
  { weight: 3, arbitrary: pathLike },
  { weight: 4, arbitrary: addressLike },
  { weight: 1, arbitrary: fc.constantFrom("true", "false", "TRUE", "1", "yes", "", "null", "[]", "{}") },
  { weight: 2, arbitrary: hostileString(300) },
);
const READS = ["/ping", "/show", "/remove-meta/plan"];
const OWN_PARAMS: Record<string, string[]> = {
  "/remove-meta/plan": ["metahttp", "force", "tcpAddr"],
  "/remove-meta": ["metahttp", "force", "tcpAddr"],
  "/add-meta": ["addr"],
  "/join": ["addr"],
  "/add-data": ["tcpAddr"],
  "/remove-data": ["addr", "force"],
  "/update-data": ["old", "new"],
};

interface Attempt {
  method: string;
  path: string;
  query: [string, string][];
  form: [string, string][] | null;
}

/**
 * POST /leave takes no parameters and is always legitimate (it removes the node beside the admin
 * service), so it is sent with the other methods only.
 */
const attempt: fc.Arbitrary<Attempt> = fc
  .oneof(
    { weight: 9, arbitrary: fc.constantFrom(...ENDPOINTS) },
    fc.constantFrom("/", "/remove-meta/", "/REMOVE-META", "/remove-meta/../show", "/%2e%2e/show"),
  )
  .chain((path) => {
    // Mostly the endpoint's own parameter names, so that the values reach its validation.
    const own = OWN_PARAMS[path] ?? [];
    const name = fc.oneof(
      { weight: own.length ? 8 : 0, arbitrary: fc.constantFrom(...own, "-") },
      { weight: 2, arbitrary: fc.constantFrom(...PARAM_NAMES) },
      { weight: 1, arbitrary: hostileString(12) },
    );
    const param = fc.tuple(name, value);
    return fc.record({
      // Mostly the endpoint's own method, so that the parameters get past the 405.
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(READS.includes(path) ? "GET" : "POST") },
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"),
      ),
      path: fc.constant(path),
      // Parameter lists may repeat a name (duplicated parameters).
      query: fc.array(param, { maxLength: 4 }),
      form: fc.option(fc.array(param, { maxLength: 4 }), { nil: null }),
    });
  })
  .map((a) => (a.path === "/leave" && a.method === "POST" ? { ...a, method: "GET" } : a));

function send(node: number, a: Attempt): Promise<HttpResponse> {
  const url = new URL(`http://${cluster.nodes[node].adminAddr}${a.path}`);
  for (const [k, v] of a.query) url.searchParams.append(k, v);
  const body = a.form ? Buffer.from(new URLSearchParams(a.form).toString()) : undefined;
  return request(url.toString(), {
    method: a.method,
    body,
    contentType: body ? "application/x-www-form-urlencoded" : undefined,
    timeoutMs: TIMEOUT_MS,
  });
}

/** Parameters for a failure message, long values shortened. */
const clip = (params: [string, string][] | null) =>
  JSON.stringify(params?.map(([k, v]) => [k, v.length > 80 ? `${v.slice(0, 80)}…(${v.length} chars)` : v]));

/** Every file and directory under `dir`, relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
}

/** Membership as the cluster sees it: voters, non-voters and the meta node records. */
async function membership() {
  const s = await status(cluster.nodes[leader].httpAddr);
  const show = await request(`http://${cluster.nodes[leader].httpAddr}/show-cluster`, {
    timeoutMs: TIMEOUT_MS,
  });
  type Row = { id: number; addr?: string; httpAddr?: string; tcpAddr: string };
  const parsed = JSON.parse(show.body.toString()) as { meta: Row[]; data: Row[] };
  // The records only: versions and schemes arrive by gossip whenever they like.
  const records = (rows: Row[]) =>
    rows.map((r) => ({ id: r.id, addr: r.addr ?? r.httpAddr, tcpAddr: r.tcpAddr }));
  return {
    voters: [...s.raft.voters].sort(),
    nonvoters: s.raft.nonvoters,
    meta: records(parsed.meta),
    data: records(parsed.data),
  };
}

test("hostile admin parameters get a 4xx JSON error naming the problem, and change nothing", async () => {
  const filesBefore = tree(cluster.baseDir);
  const initial = await membership();
  await fc.assert(
    fc.asyncProperty(attempt, fc.nat({ max: 2 }), async (a, node) => {
      const before = await membership();
      const res = await send(node, a);
      const what = `${a.method} ${a.path} query=${clip(a.query)} form=${clip(a.form)} → ${res.status} ${res.body.toString().slice(0, 300)}`;
      const after = await membership();
      // The client normalises dot segments before sending (/remove-meta/../show is /show).
      const pathname = new URL(a.path, "http://x").pathname;
      assert.deepEqual(after.voters, initial.voters, what);
      assert.deepEqual(after.nonvoters, initial.nonvoters, what);
      assert.deepEqual(after.meta, initial.meta, what);
      if (res.status < 300) {
        // Only a legitimate request may succeed: a read, or a data node registration (add, update,
        // remove) with well-formed addresses, which leaves the meta membership alone.
        assert.ok(
          ["/ping", "/show", "/add-data", "/update-data", "/remove-data"].includes(pathname) ||
            a.method === "HEAD",
          what,
        );
        return;
      }
      assert.deepEqual(after.data, before.data, what);
      // 502 is the gateway answer of add-meta, add-data and update-data for a well-formed
      // address nothing answers on.
      const gateway = res.status === 502 && ["/add-meta", "/add-data", "/update-data"].includes(pathname);
      assert.ok(res.status >= 400 && (res.status < 500 || gateway), what);
      if (a.method === "HEAD") return;
      assert.match(String(res.headers["content-type"]), /^application\/json/, what);
      const { error } = JSON.parse(res.body.toString()) as { error: string };
      assert.equal(typeof error, "string", what);
      if (res.status === 400) assert.match(error, /parameter "\w+"|malformed/, what);
      if (res.status === 404 && !ENDPOINTS.includes(pathname as (typeof ENDPOINTS)[number]))
        assert.match(error, /no such endpoint/, what);
      if (res.status === 405)
        assert.ok(new RegExp(`^use \\w+( or \\w+)* (\\S+)$`).exec(error)?.[2] === pathname, what);
    }),
    { numRuns: 300, includeErrorInReport: true },
  );
  // No file or directory appeared under the cluster's directory (logs and Raft files only grow)…
  const filesAfter = tree(cluster.baseDir);
  assert.deepEqual(
    filesAfter.filter((f) => !filesBefore.includes(f)),
    [],
  );
  // …and nothing the input could name exists, wherever a path would resolve.
  const roots = [
    tmpdir(),
    "/tmp",
    process.cwd(),
    cluster.baseDir,
    ...cluster.nodes.map((n) => join(n.dir, "meta")),
  ];
  for (const root of roots) {
    const named = readdirSync(root).filter((f) => f.includes(MARKER));
    assert.deepEqual(named, [], `entries named after the input in ${root}`);
    assert.equal(existsSync(resolve(root, "../../tmp", MARKER)), false);
  }
  assert.deepEqual(
    filesAfter.filter((f) => f.includes(MARKER)),
    [],
  );
  assert.ok(relative(cluster.baseDir, tmpdir()).length > 0);
});

test("a form body over the admin limit gets 413; destructive GETs get 405 naming the POST", async () => {
  const big = await request(`http://${cluster.nodes[0].adminAddr}/remove-meta`, {
    method: "POST",
    body: Buffer.from("metahttp=" + "a".repeat(2 * 1024 * 1024)),
    contentType: "application/x-www-form-urlencoded",
    timeoutMs: TIMEOUT_MS,
  });
  assert.equal(big.status, 413);
  for (const path of [
    "/remove-meta",
    "/leave",
    "/add-meta",
    "/join",
    "/add-data",
    "/remove-data",
    "/update-data",
  ]) {
    const res = await request(
      `http://${cluster.nodes[0].adminAddr}${path}?metahttp=${cluster.nodes[1].httpAddr}`,
      {
        timeoutMs: TIMEOUT_MS,
      },
    );
    assert.equal(res.status, 405, path);
    assert.deepEqual(JSON.parse(res.body.toString()), { error: `use POST ${path}` });
  }
  assert.deepEqual((await membership()).voters, cluster.nodes.map((n) => n.raftAddr).sort());
});
