/** A meta state in the protobuf shape (databases as an array), for assertions on `Data` itself. */
import type { MetaState } from "../../src/meta/data.ts";
import type { DeepReadonly } from "../../src/meta/readonly.ts";
import type { MetaData } from "../../src/proto/index.ts";

export function plainData(state: MetaState): DeepReadonly<MetaData> {
  return { ...state, databases: [...state.databases] };
}
