/** The read-only views of the metadata that published states share (see data.ts). */

import type { DatabaseInfo, RetentionPolicyInfo } from "../proto/index.ts";

/** `T` with every field and element read-only, all the way down. */
export type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type DatabaseState = DeepReadonly<DatabaseInfo>;
export type RetentionPolicyState = DeepReadonly<RetentionPolicyInfo>;

/** One level made writable: fields (or elements) can be replaced, what they hold stays read-only. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };
