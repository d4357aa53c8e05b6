/**
 * Errors of the Raft engine. Each has a stable `code` so the HTTP layers can map them to status
 * codes without matching on message text.
 */
import type { ServerId } from "./types.ts";

export class RaftError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The operation needs the leader. `leaderId`/`leaderAddress` are a hint (null when unknown). */
export class NotLeaderError extends RaftError {
  readonly leaderId: ServerId | null;
  leaderAddress: string | null;
  constructor(leaderId: ServerId | null, leaderAddress: string | null = null) {
    super(
      "NOT_LEADER",
      leaderId === null ? "not the leader; no leader known" : `not the leader; leader is ${leaderId}`,
    );
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }
}

export class LeadershipTransferInProgressError extends RaftError {
  constructor() {
    super("LEADERSHIP_TRANSFER_IN_PROGRESS", "leadership transfer in progress; proposals are refused");
  }
}

export class ConfigChangeInProgressError extends RaftError {
  constructor(reason: string) {
    super("CONFIG_CHANGE_IN_PROGRESS", `configuration change not possible yet: ${reason}`);
  }
}

/**
 * A membership change carried the index of the configuration it was checked against (hashicorp's
 * prevIndex), and the configuration has moved since: the checks must be made again.
 */
export class ConfigChangedError extends RaftError {
  constructor(
    readonly expectedIndex: number,
    readonly latestIndex: number,
  ) {
    super(
      "CONFIG_CHANGED",
      `the Raft configuration changed since the change was checked (index ${expectedIndex}, now ${latestIndex}); check again`,
    );
  }
}

/** A membership change that can never succeed as asked (unknown server, last voter, ...). */
export class InvalidConfigChangeError extends RaftError {
  constructor(reason: string) {
    super("INVALID_CONFIG_CHANGE", reason);
  }
}

export class InvalidConfigurationError extends RaftError {
  constructor(reason: string) {
    super("INVALID_CONFIGURATION", `invalid configuration: ${reason}`);
  }
}

/** Bootstrap of a server that already has Raft state (log, snapshot or a term). */
export class AlreadyBootstrappedError extends RaftError {
  constructor() {
    super("ALREADY_BOOTSTRAPPED", "cannot bootstrap: this server already has Raft state");
  }
}

export class NoTransferTargetError extends RaftError {
  constructor(reason: string) {
    super("NO_TRANSFER_TARGET", `leadership transfer impossible: ${reason}`);
  }
}

/** The node stopped being leader before the operation finished: it may or may not take effect. */
export class LeadershipLostError extends RaftError {
  constructor() {
    super("LEADERSHIP_LOST", "leadership lost while the operation was in flight; its outcome is unknown");
  }
}

export class TimeoutError extends RaftError {
  constructor(what: string, ms: number) {
    super("TIMEOUT", `${what} timed out after ${ms} ms`);
  }
}

export class ShutdownError extends RaftError {
  constructor(reason = "raft node is shut down") {
    super("SHUTDOWN", reason);
  }
}

/** Bad options or arguments given to the engine by its caller. */
export class RaftConfigError extends RaftError {
  constructor(reason: string) {
    super("BAD_RAFT_OPTION", reason);
  }
}
