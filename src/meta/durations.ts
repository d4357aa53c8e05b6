/** Retention policy durations in nanoseconds, and Go's rules for shard group durations. */

export const NS_PER_HOUR = 3_600_000_000_000n;
export const NS_PER_DAY = 24n * NS_PER_HOUR;

/** MinRetentionPolicyDuration: a finite retention shorter than this is refused. */
export const MIN_RETENTION_POLICY_DURATION = NS_PER_HOUR;

/** The shard group duration Go picks for a retention duration (0 = infinite). */
export function defaultShardGroupDuration(duration: bigint): bigint {
  if (duration === 0n || duration >= 180n * NS_PER_DAY) return 7n * NS_PER_DAY;
  if (duration >= 2n * NS_PER_DAY) return NS_PER_DAY;
  return NS_PER_HOUR;
}

/** An unset (0) shard group duration gets the default; one below an hour is raised to an hour. */
export function normalisedShardGroupDuration(shardGroupDuration: bigint, duration: bigint): bigint {
  if (shardGroupDuration === 0n) return defaultShardGroupDuration(duration);
  if (shardGroupDuration < MIN_RETENTION_POLICY_DURATION)
    return defaultShardGroupDuration(MIN_RETENTION_POLICY_DURATION);
  return shardGroupDuration;
}
