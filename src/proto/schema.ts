/**
 * The text of the shipped .proto files (`files` in package.json includes src/proto/*.proto). This
 * module runs from src/proto under tsx or from a bundled dist/ chunk, so each file is looked for
 * relative to either.
 */

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

function readProto(name: string): string {
  const file = [`./${name}`, `../src/proto/${name}`]
    .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
    .find((path) => existsSync(path));
  if (!file) throw new Error(`${name} is missing from the installed package (src/proto/${name})`);
  return readFileSync(file, "utf8");
}

export const META_PROTO = readProto("meta.proto");

/** The data nodes' cluster RPC messages (TCP 8088, mux byte 2), see data-rpc.ts. */
export const DATA_RPC_PROTO = readProto("data-rpc.proto");
