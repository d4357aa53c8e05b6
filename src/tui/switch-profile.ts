/**
 * `:profile NAME` in the view: the profile's connection, made as the command line makes it
 * (settings, secret and CA files, which API answers), so the view can be drawn again on it.
 * Detection gets a deadline; a cluster that does not answer still opens (with no picture).
 */

import { detectAmong } from "../client/detect.ts";
import type { ApiKind } from "../client/cluster-api.ts";
import type { PeerAccess } from "../util/http-client.ts";
import { adminBinds, adminPoolFor, loadAccess } from "./access.ts";
import type { AdminPool } from "./admin-pool.ts";
import { openSettings, resolveSettings, type Resolved } from "./settings.ts";

export interface ProfileConnection {
  admin: AdminPool;
  access: PeerAccess;
  resolved: Resolved;
  timeoutMs: number;
}

export async function connectProfile(name: string): Promise<ProfileConnection> {
  const resolved = resolveSettings(openSettings().store, { profile: name });
  const access = loadAccess(resolved.connection);
  const binds = adminBinds(resolved.bind, resolved.api);
  const timeoutMs = Math.min(Math.max(resolved.intervalMs, 250), 2000);
  const adminTimeout = Math.max(5000, timeoutMs * 2);
  let api: ApiKind;
  try {
    api = await detectAmong(binds, resolved.api, access, adminTimeout);
  } catch {
    api = resolved.api === "meta" ? "meta" : "admin";
  }
  return { admin: adminPoolFor(binds, adminTimeout, access, api), access, resolved, timeoutMs };
}
