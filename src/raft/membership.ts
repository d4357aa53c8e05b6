/**
 * Configuration helpers: validation, single-server changes, quorum arithmetic, and the history
 * of configurations in the log (needed because a configuration takes effect when appended and
 * must be rolled back if its entry is truncated).
 */
import { InvalidConfigChangeError, InvalidConfigurationError, RaftError } from "./errors.ts";
import type { Configuration, Server, ServerId } from "./types.ts";

export type ConfChangeOp = "addVoter" | "addNonvoter" | "promote" | "remove";

export interface ConfChange {
  op: ConfChangeOp;
  id: ServerId;
  address?: string;
}

export interface IndexedConfig {
  index: number;
  config: Configuration;
}

export const EMPTY_CONFIG: Configuration = { servers: [] };

export function findServer(config: Configuration, id: ServerId): Server | undefined {
  return config.servers.find((s) => s.id === id);
}

export function isVoter(config: Configuration, id: ServerId): boolean {
  return findServer(config, id)?.suffrage === "voter";
}

export function voters(config: Configuration): ServerId[] {
  return config.servers.filter((s) => s.suffrage === "voter").map((s) => s.id);
}

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index stored by a quorum, given each voter's match index: the quorumSize-th
 * largest. Sorts `matches` in place (descending) by insertion, which allocates nothing: the
 * leader runs this on every acknowledgement, and a voter list is short.
 */
export function quorumMatch(matches: number[]): number {
  for (let i = 1; i < matches.length; i++) {
    const v = matches[i];
    let j = i - 1;
    for (; j >= 0 && matches[j] < v; j--) matches[j + 1] = matches[j];
    matches[j + 1] = v;
  }
  return matches[quorumSize(matches.length) - 1];
}

/**
 * The facts the removal rules look at, from one configuration and the leader's view of which
 * servers are active (answered and kept up within an election timeout). The admin service's
 * plan, the leader's check when it accepts the change and the TUI all use these.
 */
export interface RemovalFacts {
  targetIsVoter: boolean;
  targetActive: boolean;
  votersBefore: number;
  votersAfter: number;
  /** Voters of the configuration after the removal that are active now. */
  activeVotersAfter: number;
  quorumAfter: number;
}

export function removalFacts(
  config: Configuration,
  target: ServerId,
  active: (id: ServerId) => boolean,
): RemovalFacts {
  const before = voters(config);
  const targetIsVoter = before.includes(target);
  const after = before.filter((id) => id !== target);
  return {
    targetIsVoter,
    targetActive: active(target),
    votersBefore: before.length,
    votersAfter: after.length,
    activeVotersAfter: after.filter(active).length,
    quorumAfter: quorumSize(after.length),
  };
}

/** Why a removal is refused. Only TARGET_INACTIVE and QUORUM_AT_RISK can be overridden (`force`). */
export type RemovalRefusalCode = "LAST_VOTER" | "TARGET_INACTIVE" | "QUORUM_AT_RISK";

export const FORCEABLE: ReadonlySet<RemovalRefusalCode> = new Set(["TARGET_INACTIVE", "QUORUM_AT_RISK"]);

/** The first rule the removal breaks (with `force`, only the rules force does not override). */
export function removalRefusal(f: RemovalFacts, force: boolean): RemovalRefusalCode | null {
  if (f.targetIsVoter && f.votersAfter === 0) return "LAST_VOTER";
  if (force) return null;
  if (!f.targetActive) return "TARGET_INACTIVE";
  if (f.targetIsVoter && f.activeVotersAfter < f.quorumAfter) return "QUORUM_AT_RISK";
  return null;
}

/**
 * A removal refused by the rules above, when the leader was about to append it. It carries the
 * code and the facts; the operator's words for it are the cluster layer's
 * (src/cluster/removal-rules.ts). `subject` names the server as the caller knows it.
 */
export class RemovalRefusedError extends RaftError {
  constructor(
    readonly refusal: RemovalRefusalCode,
    readonly facts: RemovalFacts,
    readonly subject: string,
  ) {
    super(
      refusal,
      `removal of ${subject} refused (${refusal}): ${facts.activeVotersAfter} of ${facts.votersAfter} voters active after it, quorum ${facts.quorumAfter}`,
    );
  }
}

export function cloneConfig(config: Configuration): Configuration {
  return { servers: config.servers.map((s) => ({ ...s })) };
}

/** Throws InvalidConfigurationError unless the configuration is usable. */
export function validateConfig(config: Configuration): void {
  if (!config || !Array.isArray(config.servers) || config.servers.length === 0) {
    throw new InvalidConfigurationError("it has no servers");
  }
  const seen = new Set<string>();
  for (const s of config.servers) {
    if (typeof s.id !== "string" || s.id === "")
      throw new InvalidConfigurationError("a server has an empty id");
    if (typeof s.address !== "string" || s.address === "") {
      throw new InvalidConfigurationError(`server ${s.id} has an empty address`);
    }
    if (s.suffrage !== "voter" && s.suffrage !== "nonvoter") {
      throw new InvalidConfigurationError(`server ${s.id} has unknown suffrage ${String(s.suffrage)}`);
    }
    if (seen.has(s.id)) throw new InvalidConfigurationError(`server id ${s.id} appears twice`);
    seen.add(s.id);
  }
  if (!config.servers.some((s) => s.suffrage === "voter"))
    throw new InvalidConfigurationError("it has no voter");
}

/** The configuration that results from one single-server change, or InvalidConfigChangeError. */
export function applyConfChange(current: Configuration, change: ConfChange): Configuration {
  const next = cloneConfig(current);
  const existing = findServer(next, change.id);
  const needAddress = (): string => {
    if (typeof change.address !== "string" || change.address === "") {
      throw new InvalidConfigChangeError(`${change.op} ${change.id}: an address is required`);
    }
    return change.address;
  };
  switch (change.op) {
    case "addVoter": {
      const address = needAddress();
      if (existing?.suffrage === "voter")
        throw new InvalidConfigChangeError(`server ${change.id} is already a voter`);
      if (existing) {
        existing.suffrage = "voter";
        existing.address = address;
      } else {
        next.servers.push({ id: change.id, address, suffrage: "voter" });
      }
      break;
    }
    case "addNonvoter": {
      const address = needAddress();
      if (existing) throw new InvalidConfigChangeError(`server ${change.id} is already a member`);
      next.servers.push({ id: change.id, address, suffrage: "nonvoter" });
      break;
    }
    case "promote":
      if (!existing) throw new InvalidConfigChangeError(`server ${change.id} is not in the configuration`);
      if (existing.suffrage === "voter")
        throw new InvalidConfigChangeError(`server ${change.id} is already a voter`);
      existing.suffrage = "voter";
      break;
    case "remove":
      if (!existing) throw new InvalidConfigChangeError(`server ${change.id} is not in the configuration`);
      if (existing.suffrage === "voter" && voters(next).length === 1) {
        throw new InvalidConfigChangeError(`server ${change.id} is the last voter and cannot be removed`);
      }
      next.servers = next.servers.filter((s) => s.id !== change.id);
      break;
    default:
      throw new InvalidConfigChangeError(`unknown configuration change ${String((change as ConfChange).op)}`);
  }
  return next;
}

/**
 * Configurations found in the log, oldest first. The first element is the base: the newest
 * configuration known committed when older history was dropped (or the snapshot's).
 */
export class ConfigHistory {
  private list: IndexedConfig[];

  constructor(base: IndexedConfig) {
    this.list = [base];
  }

  latest(): IndexedConfig {
    return this.list[this.list.length - 1];
  }

  /** Configuration in force at `index` (the newest one appended at or before it). */
  at(index: number): IndexedConfig {
    for (let i = this.list.length - 1; i > 0; i--) if (this.list[i].index <= index) return this.list[i];
    return this.list[0];
  }

  /** Configurations whose entries lie in (after, upTo]. */
  between(after: number, upTo: number): IndexedConfig[] {
    return this.list.filter((c) => c.index > after && c.index <= upTo);
  }

  push(entry: IndexedConfig): void {
    this.list.push(entry);
  }

  /** Forget configurations whose entries were truncated (index >= from); never the base. */
  truncateFrom(from: number): void {
    while (this.list.length > 1 && this.list[this.list.length - 1].index >= from) this.list.pop();
  }

  /** Drop history older than the configuration in force at `committedIndex`. */
  compact(committedIndex: number): void {
    const keep = this.at(committedIndex);
    this.list = [keep, ...this.list.filter((c) => c.index > keep.index)];
  }

  reset(base: IndexedConfig): void {
    this.list = [base];
  }
}
