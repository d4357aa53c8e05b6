/**
 * Error texts of the meta store, word for word those of the Go meta service (influxdb 1.x
 * services/meta/errors.go and the influxdb package), because clients match on them and show them
 * to operators. An FSM error is a result, not an exception: it travels to the client as
 * Response.Error.
 */

/** A command that the metadata refuses (the state is left unchanged). */
export class MetaError extends Error {
  override name = "MetaError";
}

/** A command refused before it reaches the log, for a reason the Go meta service does not have:
 *  answered 409 with `code` (docs/http-api.md, "Error codes"), never as Response.Error. */
export class MetaRefusal extends Error {
  override name = "MetaRefusal";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export const META_ERRORS = {
  nodeExists: "node already exists",
  nodeNotFound: "node not found",
  nodeIdRequired: "node id must be greater than 0",
  nodeUnableToDropFinalNode: "unable to drop the final node in a cluster",
  nodeUnableToDropNode: "unable to drop the node in a cluster",
  setMetaNodeWithSeveral: "can't set meta node when there are more than 1 in the metastore",

  databaseExists: "database already exists",
  databaseNameRequired: "database name required",
  nameTooLong: "name too long",

  retentionPolicyExists: "retention policy already exists",
  retentionPolicyDefault: "retention policy is default",
  retentionPolicyRequired: "retention policy required",
  retentionPolicyNameRequired: "retention policy name required",
  retentionPolicyNameExists: "retention policy name already exists",
  retentionPolicyDurationTooLow: "retention policy duration must be at least 1h0m0s",
  retentionPolicyConflict: "retention policy conflicts with an existing policy",
  incompatibleDurations: "retention policy duration must be greater than the shard duration",
  replicationFactorTooLow: "replication factor must be greater than 0",

  shardGroupExists: "shard group already exists",
  shardGroupNotFound: "shard group not found",
  shardNotReplicated: "shard not replicated",

  continuousQueryExists: "continuous query already exists",
  continuousQueryNotFound: "continuous query not found",

  subscriptionExists: "subscription already exists",
  subscriptionNotFound: "subscription not found",

  userExists: "user already exists",
  userNotFound: "user not found",
  usernameRequired: "username required",
} as const;

export type MetaErrorKey = keyof typeof META_ERRORS;

export function metaError(key: MetaErrorKey): MetaError {
  return new MetaError(META_ERRORS[key]);
}

// Errors that name their subject, as formatted by Go.
export const databaseNotFound = (name: string): MetaError => new MetaError(`database not found: ${name}`);
export const retentionPolicyNotFound = (name: string): MetaError =>
  new MetaError(`retention policy not found: ${name}`);
export const invalidSubscriptionUrl = (url: string): MetaError =>
  new MetaError(`invalid subscription URL: ${url}`);
