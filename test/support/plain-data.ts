/** A meta state in the protobuf shape (databases as an array), for assertions on `Data` itself. */
import type { DeepReadonly, MetaState } from "../../src/meta/data.ts";
import type { MetaData } from "../../src/proto/index.ts";

export function plainData(state: MetaState): DeepReadonly<MetaData> {
  return { ...state, databases: [...state.databases] };
}
