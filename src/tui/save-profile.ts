/**
 * `-save-profile NAME`: the connection this command line resolved to, written as a profile, so
 * the next time `-profile NAME` (or `:profile NAME` in the view) is all it takes. Paths are
 * stored, never a secret: a profile names the secret file, as a hand-written one does.
 */

import { formatDuration } from "../util/duration.ts";
import { openSettings, type Profile, type Resolved } from "./settings.ts";

const NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** The profile for `resolved`; the interval only when it was given (else the settings' default applies). */
export function profileOf(resolved: Resolved, intervalGiven: boolean): Profile {
  const { tls, jwt } = resolved.connection;
  return {
    bind: resolved.bind,
    ...(resolved.api !== "auto" && { api: resolved.api }),
    ...(tls && { bindTls: true }),
    ...(tls?.insecure && { insecure: true }),
    ...(tls?.caFile && { caFile: tls.caFile }),
    ...(jwt && { authType: "jwt" as const, secretFile: jwt.secretFile }),
    ...(jwt?.user && { user: jwt.user }),
    ...(resolved.readOnly && { readOnly: true }),
    ...(intervalGiven && { interval: formatDuration(resolved.intervalMs) }),
  };
}

/** Saves the profile; returns what to tell the operator. Throws on a bad name or settings. */
export function saveProfile(name: string, resolved: Resolved, intervalGiven: boolean): string {
  if (!NAME.test(name))
    throw new Error(`-save-profile "${name}": a profile name is letters, digits, ".", "_" or "-"`);
  const settings = openSettings();
  const profiles = { ...settings.get("profiles"), [name]: profileOf(resolved, intervalGiven) };
  const existed = name in settings.get("profiles");
  settings.set("profiles", profiles);
  return `${existed ? "replaced" : "saved"} profile "${name}" in ${settings.path} (use: influx-cluster -profile ${name})`;
}
