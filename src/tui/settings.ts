/**
 * The TUI's settings and cluster profiles, kept by `conf` in the XDG config dir
 * (~/.config/influx-cluster/config.json; INFLUX_CLUSTER_CONFIG_DIR overrides the directory).
 * Precedence: flags > the chosen profile > top-level settings > built-in defaults.
 */

import Conf from "conf";
import { API_CHOICES, type ApiChoice } from "../client/detect.ts";
import { parseDuration } from "../util/duration.ts";

/** Authentication the cluster's `[meta] auth-enabled` takes; basic is refused by the server. */
export const AUTH_TYPES = ["none", "jwt"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/**
 * A cluster to connect to. The field names follow influxd-ctl's flags (`bindTls` is -bind-tls,
 * `insecure` is -k). A profile names the FILE holding the shared secret, never the secret itself:
 * the settings file is printed by `config show` and copied around, a secret file is not.
 */
export interface Profile {
  bind: string;
  /** Which API `bind` is (-api): "admin" (8084), "meta" (8091), or detected ("auto", the default). */
  api?: ApiChoice;
  /** Talk HTTPS to the admin service and the meta nodes. */
  bindTls?: boolean;
  /** Skip certificate verification (self-signed test setups). */
  insecure?: boolean;
  /** PEM file of the CA the cluster's certificates chain to (default: the system's roots). */
  caFile?: string;
  authType?: AuthType;
  /** The `username` claim of the tokens (recorded by the server, not checked). */
  user?: string;
  /** File holding the cluster's shared secret (its content without the trailing newline). */
  secretFile?: string;
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
    api: { type: "string", enum: API_CHOICES },
    bindTls: { type: "boolean" },
    insecure: { type: "boolean" },
    caFile: { type: "string", minLength: 1 },
    authType: { type: "string", enum: AUTH_TYPES },
    user: { type: "string" },
    secretFile: { type: "string", minLength: 1 },
    readOnly: { type: "boolean" },
    interval: { type: "string" },
  },
  required: ["bind"],
  additionalProperties: false,
} as const;

/** Opens the settings; a file the schema refuses is an error that says what a profile may hold. */
export function openSettings(dir = process.env.INFLUX_CLUSTER_CONFIG_DIR || undefined): Conf<Settings> {
  try {
    return new Conf<Settings>({
      projectName: "influx-cluster",
      projectSuffix: "",
      cwd: dir,
      // Profiles name secret files and CAs: nobody else needs to read where those are.
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
  } catch (err) {
    const message = (err as Error).message;
    if (!/schema violation/i.test(message)) throw err;
    // Conf names the property path, not the value: nothing stored (a misplaced secret) is echoed.
    throw new Error(
      `settings: ${message} (a profile holds ${Object.keys(profileSchema.properties).join(", ")}; a secret is never stored: name its file in secretFile)`,
    );
  }
}

export interface FlagOverrides {
  bind?: string;
  /** As typed: checked here. */
  api?: string;
  intervalMs?: number;
  readOnly?: boolean;
  profile?: string;
  bindTls?: boolean;
  insecure?: boolean;
  caFile?: string;
  /** As typed: checked here. */
  authType?: string;
  user?: string;
  secretFile?: string;
}

/** How to reach the cluster: paths only; the files are read by access.ts. */
export interface Connection {
  /** null: plain HTTP. */
  tls: { insecure: boolean; caFile: string | null } | null;
  /** null: no credentials. */
  jwt: { user: string; secretFile: string } | null;
}

export interface Resolved {
  bind: string;
  api: ApiChoice;
  connection: Connection;
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
  const api = flags.api ?? profile?.api ?? "auto";
  if (!(API_CHOICES as readonly string[]).includes(api))
    throw new Error(`invalid -api "${api}" (expected ${API_CHOICES.join(", ")})`);
  return {
    bind: flags.bind ?? profile?.bind ?? DEFAULT_BIND,
    api: api as ApiChoice,
    connection: resolveConnection(flags, profile),
    intervalMs,
    readOnly,
    profileName,
    profile,
  };
}

/** The TLS and credential settings, flags over the profile; an inconsistent mix is an error. */
function resolveConnection(flags: FlagOverrides, profile: Profile | null): Connection {
  const bindTls = flags.bindTls ?? profile?.bindTls ?? false;
  const insecure = flags.insecure ?? profile?.insecure ?? false;
  const caFile = flags.caFile ?? profile?.caFile ?? null;
  const secretFile = flags.secretFile ?? profile?.secretFile ?? null;
  const user = flags.user ?? profile?.user;
  // A secret file alone means jwt: it is the only use of one.
  const authType = flags.authType ?? profile?.authType ?? (secretFile !== null ? "jwt" : "none");

  if (!bindTls && (insecure || caFile !== null))
    throw new Error(`${insecure ? "-k" : "-ca-file"} applies to HTTPS: add -bind-tls`);
  if (authType === "basic")
    throw new Error(
      "-auth-type basic: the cluster does not support basic authentication; use -auth-type jwt -secret-file FILE",
    );
  if (!(AUTH_TYPES as readonly string[]).includes(authType))
    throw new Error(`invalid -auth-type "${authType}" (expected ${AUTH_TYPES.join(" or ")})`);
  if (authType === "none" && secretFile !== null)
    throw new Error("-secret-file is set but -auth-type is none: drop one of them");
  if (authType === "none" && user !== undefined)
    throw new Error("-user names the token's user: it needs -auth-type jwt -secret-file FILE");
  if (authType === "jwt" && secretFile === null)
    throw new Error("-auth-type jwt needs -secret-file FILE (a file holding the cluster's shared secret)");
  return {
    tls: bindTls ? { insecure, caFile } : null,
    jwt: secretFile !== null ? { user: user ?? "", secretFile } : null,
  };
}
