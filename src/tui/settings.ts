/**
 * The TUI's settings and cluster profiles, kept by `conf` in the XDG config dir
 * (~/.config/influx-cluster/config.json; INFLUX_CLUSTER_CONFIG_DIR overrides the directory).
 * Precedence: flags > the chosen profile > top-level settings > built-in defaults.
 */

import Conf from "conf";
import { parseDuration } from "../util/duration.ts";

/** A cluster to connect to. Auth fields are stored now and used once the admin service checks them. */
export interface Profile {
  bind: string;
  username?: string;
  password?: string;
  sharedSecret?: string;
  tls?: boolean;
  skipVerify?: boolean;
  readOnly?: boolean;
  interval?: string;
}

export interface Settings {
  /** Profile used when -profile is not given. */
  defaultProfile?: string;
  interval: string;
  readOnly: boolean;
  profiles: Record<string, Profile>;
}

export const DEFAULT_BIND = "localhost:8084";
export const DEFAULT_INTERVAL = "2s";

const profileSchema = {
  type: "object",
  properties: {
    bind: { type: "string", minLength: 1 },
    username: { type: "string" },
    password: { type: "string" },
    sharedSecret: { type: "string" },
    tls: { type: "boolean" },
    skipVerify: { type: "boolean" },
    readOnly: { type: "boolean" },
    interval: { type: "string" },
  },
  required: ["bind"],
  additionalProperties: false,
} as const;

export function openSettings(dir = process.env.INFLUX_CLUSTER_CONFIG_DIR || undefined): Conf<Settings> {
  return new Conf<Settings>({
    projectName: "influx-cluster",
    projectSuffix: "",
    cwd: dir,
    // Profiles may hold passwords: readable by the owner only.
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    defaults: { interval: DEFAULT_INTERVAL, readOnly: false, profiles: {} },
    schema: {
      defaultProfile: { type: "string" },
      interval: { type: "string" },
      readOnly: { type: "boolean" },
      profiles: { type: "object", additionalProperties: profileSchema },
    },
  });
}

export interface FlagOverrides {
  bind?: string;
  intervalMs?: number;
  readOnly?: boolean;
  profile?: string;
}

export interface Resolved {
  bind: string;
  intervalMs: number;
  /** Why destructive actions are off (e.g. `profile "prod"`), null when they are allowed. */
  readOnly: string | null;
  profileName: string | null;
  profile: Profile | null;
}

/** Merges flags over settings; an unknown profile or a bad stored interval is an error naming it. */
export function resolveSettings(settings: Settings, flags: FlagOverrides): Resolved {
  const profileName = flags.profile ?? settings.defaultProfile ?? null;
  let profile: Profile | null = null;
  if (profileName !== null) {
    profile = settings.profiles[profileName] ?? null;
    if (!profile) {
      const known = Object.keys(settings.profiles);
      throw new Error(
        `no profile "${profileName}" in the settings${known.length ? ` (known: ${known.join(", ")})` : " (none defined)"}`,
      );
    }
  }
  const intervalText = profile?.interval ?? settings.interval;
  let intervalMs = flags.intervalMs;
  if (intervalMs === undefined) {
    try {
      intervalMs = parseDuration(intervalText);
    } catch (err) {
      throw new Error(`settings: interval: ${(err as Error).message}`);
    }
  }
  if (intervalMs <= 0) throw new Error(`the poll interval must be positive, got ${intervalMs}ms`);
  let readOnly: string | null = null;
  if (flags.readOnly !== undefined) readOnly = flags.readOnly ? "-read-only" : null;
  else if (profile?.readOnly) readOnly = `profile "${profileName}"`;
  else if (settings.readOnly) readOnly = "settings readOnly";
  return { bind: flags.bind ?? profile?.bind ?? DEFAULT_BIND, intervalMs, readOnly, profileName, profile };
}
