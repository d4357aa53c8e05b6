/**
 * What the fault suite's clients do to the metadata, as registers the linearizability checker
 * understands. Each key is one object: a user ("user:u3", value = its password hash) or a
 * database ("db:d1", value "present"). The meta commands map onto register operations whose
 * refusals carry information, which is what makes the history checkable:
 *
 *   CreateUser  → create: takes effect only when absent, else refused ("user already exists")
 *   UpdateUser  → update: takes effect only when present, else refused ("user not found")
 *   DropUser    → drop:   takes effect only when present, else refused
 *   CreateDatabase / DropDatabase → put "present" / put null: never refused (both idempotent)
 *   read        → the value in metadata read at or after a barrier entry (linearizable read)
 */

import type { MetaCommand } from "../../src/proto/index.ts";
import type { Model } from "../support/linearizability.ts";

export type MetaInput =
  | { op: "create"; key: string; value: string }
  | { op: "update"; key: string; value: string }
  | { op: "drop"; key: string }
  | { op: "put"; key: string; value: string | null }
  | { op: "read"; key: string };

/** Writes: whether the command took effect (false = refused by the FSM). Reads: the value. */
export type MetaOutput = { ok: boolean } | { value: string | null };

export const DB_PRESENT = "present";

function refusable(state: string | null, input: MetaInput): { applies: boolean; next: string | null } {
  switch (input.op) {
    case "create":
      return state === null ? { applies: true, next: input.value } : { applies: false, next: state };
    case "update":
      return state !== null ? { applies: true, next: input.value } : { applies: false, next: state };
    case "drop":
      return state !== null ? { applies: true, next: null } : { applies: false, next: state };
    case "put":
      return { applies: true, next: input.value };
    case "read":
      return { applies: false, next: state };
  }
}

export const metaRegisterModel: Model<string | null, MetaInput, MetaOutput> = {
  init: () => null,
  step(state, input, output) {
    const { applies, next } = refusable(state, input);
    if (input.op === "read") {
      if (output === undefined) return [true, state];
      return ["value" in output && output.value === state, state];
    }
    // Unknown outcome: take the effect it would have had; "never happened" is the search's
    // other option (an indeterminate operation is never forced into the order).
    if (output === undefined) return [true, next];
    return ["ok" in output && output.ok === applies, next];
  },
  hash: (state) => (state === null ? "\u0000" : `=${state}`),
  partitionKey: (input) => input.key,
  describe(input, output) {
    const result = output === undefined ? "?" : JSON.stringify(output);
    const value = "value" in input ? `, ${JSON.stringify(input.value)}` : "";
    return `${input.op}(${input.key}${value}) -> ${result}`;
  },
};

/** The meta command for a write; reads have none (they use a barrier). */
export function commandFor(input: Exclude<MetaInput, { op: "read" }>): MetaCommand {
  const [kind, name] = splitKey(input.key);
  if (kind === "db") {
    if (input.op !== "put") throw new Error(`databases only take puts, not ${input.op}`);
    return input.value === null
      ? { type: "DropDatabaseCommand", name }
      : { type: "CreateDatabaseCommand", name };
  }
  switch (input.op) {
    case "create":
      return { type: "CreateUserCommand", name, hash: input.value, admin: false };
    case "update":
      return { type: "UpdateUserCommand", name, hash: input.value };
    case "drop":
      return { type: "DropUserCommand", name };
    case "put":
      throw new Error("users take create/update/drop, not put");
  }
}

/** Value of `key` in a metadata snapshot. */
export function valueIn(
  data: { users: readonly { name: string; hash: string }[]; databases: readonly { name: string }[] },
  key: string,
): string | null {
  const [kind, name] = splitKey(key);
  if (kind === "db") return data.databases.some((d) => d.name === name) ? DB_PRESENT : null;
  return data.users.find((u) => u.name === name)?.hash ?? null;
}

function splitKey(key: string): ["db" | "user", string] {
  const [kind, name] = key.split(":");
  if ((kind !== "db" && kind !== "user") || !name) throw new Error(`bad key ${JSON.stringify(key)}`);
  return [kind, name];
}
