import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

/**
 * The layers of src/, lowest first (ARCHITECTURE.md). A module may import from its own layer and
 * the layers below it, never from a layer above: an upward import fails `npm run lint`.
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

const zones = [
  ...LAYERS.slice(0, -1).flatMap((layer, i) =>
    layer.map((target) => ({
      target: `./${target}`,
      from: LAYERS.slice(i + 1)
        .flat()
        .map((above) => `./${above}`),
      message: `${target} is below these modules in the layering (ARCHITECTURE.md): move the shared piece down instead`,
    })),
  ),
  ...APART.flatMap(([a, b]) => [
    {
      target: `./${a}`,
      from: `./${b}`,
      message: `${a} and ${b} are peers and import nothing from each other`,
    },
    {
      target: `./${b}`,
      from: `./${a}`,
      message: `${a} and ${b} are peers and import nothing from each other`,
    },
  ]),
];

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/results/", "screenshots/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    plugins: { "import-x": importX },
    settings: { "import-x/resolver": { node: { extensions: [".ts", ".tsx", ".js"] } } },
    rules: {
      "import-x/no-restricted-paths": ["error", { zones }],
      // Type-only imports count too: a circle of types is still a circle in the design.
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
);
