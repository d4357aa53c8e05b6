/**
 * The text of meta.proto, read from the file that ships in the package (`files` in package.json
 * includes src/proto/*.proto). This module runs from src/proto under tsx or from a bundled dist/
 * chunk, so the file is looked for relative to either.
 */

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const PROTO_FILE = ["./meta.proto", "../src/proto/meta.proto"]
  .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
  .find((path) => existsSync(path));
if (!PROTO_FILE) throw new Error("meta.proto is missing from the installed package (src/proto/meta.proto)");

export const META_PROTO = readFileSync(PROTO_FILE, "utf8");
