/* global module */
/**
 * The layers of src/ (ARCHITECTURE.md), lowest first. A module may import from its own layer
 * and the layers below it, never from a layer above, and no import circle may exist — counting
 * type-only imports, since a circle of types is still a circle in the design. `npm run lint`
 * runs this (depcruise); an upward import or a circle fails it.
 */
const LAYERS = [
  ["src/util", "src/version.ts"],
  ["src/raft", "src/proto"],
  ["src/meta"],
  ["src/contract"],
  ["src/cluster"],
  ["src/server", "src/client"],
  ["src/daemon", "src/ctl", "src/tui", "src/demo", "src/wording.ts", "src/main.ts"],
];

/** Servers and clients are peers: neither reaches into the other. */
const APART = [["src/server", "src/client"]];

const path = (p) => `^${p.replace(/\./g, "\\.")}${p.endsWith(".ts") ? "$" : "/"}`;

const upward = LAYERS.slice(0, -1).flatMap((layer, i) =>
  layer.map((from) => ({
    name: "no-upward-import",
    comment: `${from} is below these modules in the layering (ARCHITECTURE.md): move the shared piece down instead`,
    severity: "error",
    from: { path: path(from) },
    to: {
      path: LAYERS.slice(i + 1)
        .flat()
        .map(path),
    },
  })),
);

const apart = APART.flatMap(([a, b]) =>
  [
    [a, b],
    [b, a],
  ].map(([from, to]) => ({
    name: "peers-apart",
    comment: `${a} and ${b} are peers and import nothing from each other`,
    severity: "error",
    from: { path: path(from) },
    to: { path: path(to) },
  })),
);

module.exports = {
  forbidden: [
    ...upward,
    ...apart,
    {
      name: "no-circular",
      comment: "no import circles, type-only imports included",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist)/" },
    // Type-only imports are dependencies too (they are erased at run time, not in the design).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js", ".json"] },
  },
};
