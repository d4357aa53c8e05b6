/**
 * Which of the nodes that claim leadership really leads. Two nodes may both still say "leader"
 * for a moment after an election: the newer term is the real one. A Go meta node reports no
 * term; among equal (or unknown) terms the first claim in the caller's order wins.
 */
export function claimedLeader<T>(
  candidates: readonly T[],
  claims: (c: T) => boolean,
  term: (c: T) => number | undefined,
): T | null {
  let best: T | null = null;
  for (const c of candidates) {
    if (!claims(c)) continue;
    if (best === null || (term(c) ?? -1) > (term(best) ?? -1)) best = c;
  }
  return best;
}
