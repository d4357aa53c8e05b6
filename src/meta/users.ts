/** Users, their password hashes and privileges (Go: Data.CreateUser & co.). */
import type { UserInfo } from "../proto/index.ts";
import { metaError } from "./errors.ts";
import { requireDatabase, type MetaDraft } from "./data.ts";
import type { DeepReadonly, Writable } from "./readonly.ts";

/** The named user made writable; throws userNotFound. */
function editUser(draft: MetaDraft, name: string): Writable<DeepReadonly<UserInfo>> {
  const index = draft.data.users.findIndex((u) => u.name === name);
  if (index < 0) throw metaError("userNotFound");
  return draft.edit(draft.edit(draft.data, "users"), index);
}

export function createUser(draft: MetaDraft, name: string, hash: string, admin: boolean): void {
  if (name === "") throw metaError("usernameRequired");
  if (draft.data.users.some((u) => u.name === name)) throw metaError("userExists");
  draft.edit(draft.data, "users").push({ name, hash, admin, privileges: [] });
}

export function dropUser(draft: MetaDraft, name: string): void {
  if (!draft.data.users.some((u) => u.name === name)) throw metaError("userNotFound");
  draft.data.users = draft.data.users.filter((u) => u.name !== name);
}

export function updateUser(draft: MetaDraft, name: string, hash: string): void {
  editUser(draft, name).hash = hash;
}

/** Sets the user's privilege on one database (privileges stay sorted by database name). */
export function setPrivilege(draft: MetaDraft, username: string, database: string, privilege: number): void {
  // An unknown user is reported before an unknown database.
  const user = editUser(draft, username);
  requireDatabase(draft, database);
  user.privileges = [...user.privileges.filter((p) => p.database !== database), { database, privilege }].sort(
    (a, b) => (a.database < b.database ? -1 : a.database > b.database ? 1 : 0),
  );
}

export function setAdminPrivilege(draft: MetaDraft, username: string, admin: boolean): void {
  editUser(draft, username).admin = admin;
}
