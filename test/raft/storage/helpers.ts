/** Shared fixtures for the storage tests: a seeded RNG and entry builders. */
import { EntryType, type Entry } from "../../../src/raft/types.ts";

export { seededRandom } from "../../support/random.ts";

/** A command entry whose payload identifies it (index, term) and has some length variety. */
export function entry(index: number, term: number, size = (index * 7) % 23): Entry {
  const data = new Uint8Array(size + 2);
  for (let i = 0; i < data.length; i++) data[i] = (index * 31 + term * 17 + i) & 0xff;
  return { index, term, type: EntryType.Command, data };
}

export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

export const configEntry = (index: number, term: number): Entry => ({
  index,
  term,
  type: EntryType.Config,
  data: new Uint8Array([1, 2, 3]),
  config: {
    servers: [
      { id: "a", address: "10.0.0.1:8089", suffrage: "voter" },
      { id: "b", address: "10.0.0.2:8089", suffrage: "nonvoter" },
    ],
  },
});

/** Compact comparable form of a log: "index:term:hexdata" per entry. */
export function describe(log: readonly Entry[]): string[] {
  return log.map((e) => `${e.index}:${e.term}:${Buffer.from(e.data).toString("hex")}`);
}

/** Every entry of a store, in order. */
export function allEntries(store: {
  firstIndex(): number;
  lastIndex(): number;
  entries(a: number, b: number): Entry[];
}): Entry[] {
  return store.lastIndex() === 0 ? [] : store.entries(store.firstIndex(), store.lastIndex());
}
