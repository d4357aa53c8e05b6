/** Users, their password hashes and privileges (Go: Data.CreateUser & co.). */
import type { MetaData, UserInfo } from "../proto/index.ts";
import { metaError } from "./errors.ts";
import { requireDatabase } from "./data.ts";

function requireUser(data: MetaData, name: string): UserInfo {
  const user = data.users.find((u) => u.name === name);
  if (!user) throw metaError("userNotFound");
  return user;
}

export function createUser(data: MetaData, name: string, hash: string, admin: boolean): void {
  if (name === "") throw metaError("usernameRequired");
  if (data.users.some((u) => u.name === name)) throw metaError("userExists");
  data.users.push({ name, hash, admin, privileges: [] });
}

export function dropUser(data: MetaData, name: string): void {
  requireUser(data, name);
  data.users = data.users.filter((u) => u.name !== name);
}

export function updateUser(data: MetaData, name: string, hash: string): void {
  requireUser(data, name).hash = hash;
}

/** Sets the user's privilege on one database (privileges stay sorted by database name). */
export function setPrivilege(data: MetaData, username: string, database: string, privilege: number): void {
  const user = requireUser(data, username);
  requireDatabase(data, database);
  user.privileges = user.privileges.filter((p) => p.database !== database);
  user.privileges.push({ database, privilege });
  user.privileges.sort((a, b) => (a.database < b.database ? -1 : a.database > b.database ? 1 : 0));
}

export function setAdminPrivilege(data: MetaData, username: string, admin: boolean): void {
  requireUser(data, username).admin = admin;
}
