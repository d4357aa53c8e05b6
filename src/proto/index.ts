/**
 * Protobuf codec of the meta service: Command (with its payload extension), Response and Data,
 * byte-compatible with the Go meta service (schema: meta.proto, read by schema.ts).
 *
 * protobufjs does the wire work; this module maps between its message objects (Go field names,
 * Long values) and the camelCase TypeScript shapes of types.ts, by reflection over the schema so
 * that every message follows the same rules:
 * - names: `HTTPAddr` → `httpAddr`, `ShardGroupID` → `shardGroupId`, `OK` → `ok`;
 * - 64-bit values: see types.ts (`int64`, `ClusterID`, `Rand` → bigint, other `uint64` → number);
 * - an absent optional field stays `undefined` in commands and Response (presence matters there,
 *   e.g. UpdateRetentionPolicyCommand), and takes its proto default in the metadata messages;
 * - encoding refuses a missing required field, a value of the wrong kind or an unknown property,
 *   so a bad object never becomes bytes the Go side would reject.
 */
import protobuf from "protobufjs";
import { META_PROTO } from "./schema.ts";
import { COMMAND_TYPES } from "./types.ts";
import { runSteps, type Steps } from "../util/steps.ts";
import {
  readDataSteps,
  writeData,
  writeDatabaseFields,
  writeDataParts,
  type DataFields,
  type DatabaseBytesCache,
} from "./data-codec.ts";
import type { CommandName, DatabaseInfo, MetaCommand, MetaData, MetaResponse } from "./types.ts";

export * from "./types.ts";
export { emptyData, shardOwner, type DataFields, type DatabaseBytesCache } from "./data-codec.ts";

/** Bytes that are not a valid message, or an object that cannot be encoded. */
export class ProtoError extends Error {
  override name = "ProtoError";
}

const root = protobuf.parse(META_PROTO, { keepCase: true }).root;
root.resolveAll();

// Without long.js protobufjs would decode 64-bit fields into lossy numbers.
if (!protobuf.util.Long) {
  throw new Error("protobufjs was loaded without long.js: 64-bit fields cannot be decoded exactly");
}

const CommandType = root.lookupType("meta.Command");
const ResponseType = root.lookupType("meta.Response");

/** Messages that make up `Data`: absent optional fields decode to their defaults. */
const METADATA_MESSAGES = new Set([
  "Data",
  "NodeInfo",
  "DatabaseInfo",
  "RetentionPolicyInfo",
  "ShardGroupInfo",
  "ShardInfo",
  "ShardOwner",
  "SubscriptionInfo",
  "ContinuousQueryInfo",
  "UserInfo",
  "UserPrivilege",
]);
/** uint64 fields holding random 64-bit values: bigint, not number. */
const BIGINT_UINT64 = new Set(["ClusterID", "Rand"]);
/** Pre-0.10 fields: read (and converted) by decodeLegacy, never written. */
const LEGACY_FIELDS = new Set(["Data.Nodes", "ShardInfo.OwnerIDs"]);
/** Go writes these only when non-zero (MarshalTime of a zero time is "unset"). */
const OMIT_WHEN_ZERO = new Set(["ShardGroupInfo.TruncatedAt"]);

const NAME_BY_TYPE = new Map<number, CommandName>(
  Object.entries(COMMAND_TYPES).map(([name, type]) => [type, name as CommandName]),
);

/** Go field name → camelCase property: leading acronyms lower-cased, a trailing "ID" → "Id". */
export function jsFieldName(goName: string): string {
  if (/^[A-Z]+$/.test(goName)) return goName.toLowerCase();
  const acronym = /^([A-Z]+)([A-Z][a-z].*)$/.exec(goName);
  const camel = acronym ? acronym[1].toLowerCase() + acronym[2] : goName[0].toLowerCase() + goName.slice(1);
  return camel.replace(/ID$/, "Id");
}

interface FieldMapping {
  field: protobuf.Field;
  js: string;
  qualified: string;
}

const mappingCache = new Map<protobuf.Type, FieldMapping[]>();

/** The regular (non-extension, non-legacy) fields of a message, in field-number order. */
function mappings(type: protobuf.Type): FieldMapping[] {
  let list = mappingCache.get(type);
  if (!list) {
    list = type.fieldsArray
      .filter((f) => !f.name.startsWith(".") && !LEGACY_FIELDS.has(`${type.name}.${f.name}`))
      .sort((a, b) => a.id - b.id)
      .map((field) => ({ field, js: jsFieldName(field.name), qualified: `${type.name}.${field.name}` }));
    mappingCache.set(type, list);
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// Object → protobufjs message

type WireObject = Record<string, unknown>;

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** The {low, high} pair protobufjs' writer accepts for a 64-bit value. */
function longBits(value: bigint): { low: number; high: number } {
  return { low: Number(BigInt.asIntN(32, value)), high: Number(BigInt.asIntN(32, value >> 32n)) };
}

function toWire(type: protobuf.Type, value: unknown, path: string): WireObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtoError(`${path}: expected an object for ${type.name}`);
  }
  const input = value as Record<string, unknown>;
  const fields = mappings(type);
  for (const key of Object.keys(input)) {
    if (input[key] !== undefined && !fields.some((m) => m.js === key)) {
      throw new ProtoError(`${path}: ${type.name} has no field "${key}"`);
    }
  }
  const out: WireObject = {};
  for (const { field, js, qualified } of fields) {
    const v = input[js];
    const fieldPath = `${path}.${js}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new ProtoError(`${fieldPath}: expected an array`);
      out[field.name] = v.map((item, i) => scalarToWire(field, item, `${fieldPath}[${i}]`));
    } else if (v === undefined) {
      if (field.required) throw new ProtoError(`${fieldPath}: missing required field`);
    } else if (!(OMIT_WHEN_ZERO.has(qualified) && v === 0n)) {
      out[field.name] = scalarToWire(field, v, fieldPath);
    }
  }
  return out;
}

function scalarToWire(field: protobuf.Field, v: unknown, path: string): unknown {
  const fail = (what: string): never => {
    throw new ProtoError(
      `${path}: expected ${what}, got ${typeof v === "bigint" ? `${v}n` : JSON.stringify(v)}`,
    );
  };
  if (field.resolvedType instanceof protobuf.Type) return toWire(field.resolvedType, v, path);
  switch (field.type) {
    case "string":
      return typeof v === "string" ? v : fail("a string");
    case "bool":
      return typeof v === "boolean" ? v : fail("a boolean");
    case "int32":
      return Number.isInteger(v) && Math.abs(v as number) <= 0x7fffffff ? v : fail("an int32");
    case "uint32":
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff ? v : fail("a uint32");
    case "int64":
      return typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX
        ? longBits(v)
        : fail("an int64 bigint");
    case "uint64":
      if (BIGINT_UINT64.has(field.name)) {
        return typeof v === "bigint" && v >= 0n && v <= UINT64_MAX ? longBits(v) : fail("a uint64 bigint");
      }
      return Number.isSafeInteger(v) && (v as number) >= 0 ? v : fail("a non-negative safe integer");
    default:
      throw new ProtoError(`${path}: unsupported field type ${field.type}`);
  }
}

// ---------------------------------------------------------------------------------------------
// protobufjs message → object

interface LongLike {
  low: number;
  high: number;
}

function longToBigInt(v: LongLike, signed: boolean): bigint {
  const unsigned = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return signed ? BigInt.asIntN(64, unsigned) : unsigned;
}

function fromWire(type: protobuf.Type, msg: WireObject, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, js } of mappings(type)) {
    const fieldPath = `${path}.${js}`;
    if (field.repeated) {
      const items = (msg[field.name] as unknown[] | undefined) ?? [];
      out[js] = items.map((item, i) => scalarFromWire(field, item, `${fieldPath}[${i}]`));
    } else if (Object.prototype.hasOwnProperty.call(msg, field.name)) {
      out[js] = scalarFromWire(field, msg[field.name], fieldPath);
    } else if (METADATA_MESSAGES.has(type.name)) {
      out[js] = defaultValue(field);
    }
  }
  decodeLegacy(type, msg, out, path);
  return out;
}

function scalarFromWire(field: protobuf.Field, v: unknown, path: string): unknown {
  if (field.resolvedType instanceof protobuf.Type) {
    return fromWire(field.resolvedType, v as WireObject, path);
  }
  if (field.type === "int64") return longToBigInt(v as LongLike, true);
  if (field.type === "uint64") return uint64FromWire(field.name, v as LongLike, path);
  return v;
}

function uint64FromWire(goName: string, v: LongLike, path: string): number | bigint {
  const big = longToBigInt(v, false);
  if (BIGINT_UINT64.has(goName)) return big;
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtoError(`${path} = ${big} is above 2^53 - 1`);
  }
  return Number(big);
}

function defaultValue(field: protobuf.Field): unknown {
  switch (field.type) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int64":
      return 0n;
    case "uint64":
      return BIGINT_UINT64.has(field.name) ? 0n : 0;
    default:
      return 0;
  }
}

/** Pre-0.10 data: `Data.Nodes` were the data nodes, `ShardInfo.OwnerIDs` the owners (as Go reads them). */
function decodeLegacy(
  type: protobuf.Type,
  msg: WireObject,
  out: Record<string, unknown>,
  path: string,
): void {
  if (type.name === "Data") {
    const nodes = (msg.Nodes as WireObject[] | undefined) ?? [];
    if (nodes.length > 0) {
      const nodeInfo = root.lookupType("meta.NodeInfo");
      out.dataNodes = nodes.map((n, i) => fromWire(nodeInfo, n, `${path}.nodes[${i}]`));
    }
  } else if (type.name === "ShardInfo") {
    const ids = (msg.OwnerIDs as LongLike[] | undefined) ?? [];
    if (ids.length > 0) {
      out.owners = ids.map((id, i) => ({ nodeId: uint64FromWire("OwnerIDs", id, `${path}.ownerIds[${i}]`) }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public codec

function decodeMessage(type: protobuf.Type, bytes: Uint8Array, what: string): WireObject {
  try {
    return type.decode(bytes) as unknown as WireObject;
  } catch (err) {
    throw new ProtoError(`malformed ${what}: ${(err as Error).message}`);
  }
}

function extensionName(name: CommandName): string {
  return `.meta.${name}.command`;
}

export function encodeCommand(cmd: MetaCommand): Uint8Array {
  const typeNumber = (COMMAND_TYPES as Record<string, number | undefined>)[cmd.type];
  if (typeNumber === undefined) throw new ProtoError(`unknown command type ${JSON.stringify(cmd.type)}`);
  if (cmd.type === "SetDataCommand") return encodeSetData(typeNumber, cmd.data);
  const { type: name, ...fields } = cmd;
  const payload = toWire(root.lookupType(`meta.${name}`), fields, name);
  return CommandType.encode({ type: typeNumber, [extensionName(name)]: payload }).finish();
}

/**
 * Reads the `type` field without decoding the rest, so that a type this schema does not know is
 * reported as such (protobufjs would treat the unknown enum value as an absent required field).
 */
function peekCommandType(bytes: Uint8Array): number {
  const reader = protobuf.Reader.create(bytes);
  let type: number | undefined;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const wireType = tag & 7;
      if (tag >>> 3 === 1 && wireType === 0) type = reader.int32();
      else reader.skipType(wireType);
    }
  } catch (err) {
    throw new ProtoError(`malformed command: ${(err as Error).message}`);
  }
  if (type === undefined) throw new ProtoError("malformed command: missing required 'type'");
  return type;
}

/** Throws ProtoError on malformed bytes, an unknown type, or a type whose payload is missing. */
export function decodeCommand(bytes: Uint8Array): MetaCommand {
  return runSteps(decodeCommandSteps(bytes));
}

/** decodeCommand in steps: a SetDataCommand's Data pauses after every few databases. */
export function* decodeCommandSteps(bytes: Uint8Array): Steps<MetaCommand> {
  const typeNumber = peekCommandType(bytes);
  const name = NAME_BY_TYPE.get(typeNumber);
  if (!name) throw new ProtoError(`unknown command type ${typeNumber}`);
  if (name === "SetDataCommand") return yield* decodeSetDataSteps(bytes, typeNumber);
  const msg = decodeMessage(CommandType, bytes, "command");
  const payload = msg[extensionName(name)] as WireObject | undefined;
  if (!payload) {
    throw new ProtoError(
      `malformed command: ${name} without its payload (extension field ${100 + typeNumber})`,
    );
  }
  return { type: name, ...fromWire(root.lookupType(`meta.${name}`), payload, name) } as MetaCommand;
}

// SetDataCommand carries a whole Data (the one command as large as the metadata): its payload
// goes through the Data codec, in the bytes the reflective path would write.

/** Command.Type = 17, then extension field 117 holding SetDataCommand { Data = 1 }. */
function encodeSetData(typeNumber: number, data: MetaData): Uint8Array {
  const writer = protobuf.Writer.create();
  writer.uint32((1 << 3) | 0).int32(typeNumber);
  writer.uint32(((100 + typeNumber) << 3) | 2).fork();
  writer.uint32((1 << 3) | 2).bytes(encodeData(data));
  return writer.ldelim().finish();
}

function* decodeSetDataSteps(bytes: Uint8Array, typeNumber: number): Steps<MetaCommand> {
  // The payloads' Data fields are found first (a scan, no decoding), then decoded in steps.
  const found: Uint8Array[] = [];
  let payloadSeen = false;
  try {
    const reader = protobuf.Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag !== (((100 + typeNumber) << 3) | 2)) {
        reader.skipType(tag & 7);
        continue;
      }
      payloadSeen = true;
      const payload = protobuf.Reader.create(reader.bytes());
      while (payload.pos < payload.len) {
        const field = payload.uint32();
        if (field === ((1 << 3) | 2)) found.push(payload.bytes());
        else payload.skipType(field & 7);
      }
    }
  } catch (err) {
    throw new ProtoError(`malformed command: ${(err as Error).message}`);
  }
  if (!payloadSeen) {
    throw new ProtoError(
      `malformed command: SetDataCommand without its payload (extension field ${100 + typeNumber})`,
    );
  }
  let data: MetaData | undefined;
  for (const dataBytes of found) data = yield* decodeDataSteps(dataBytes);
  if (!data) throw new ProtoError("malformed command: missing required 'Data'");
  return { type: "SetDataCommand", data };
}

export function encodeResponse(response: MetaResponse): Uint8Array {
  return ResponseType.encode(toWire(ResponseType, response, "Response")).finish();
}

export function decodeResponse(bytes: Uint8Array): MetaResponse {
  return fromWire(
    ResponseType,
    decodeMessage(ResponseType, bytes, "response"),
    "Response",
  ) as unknown as MetaResponse;
}

/**
 * `Data` has its own codec (data-codec.ts): it is the one message that grows with the cluster.
 * `cache` lets a caller whose states never change once encoded reuse the bytes of databases it
 * has encoded before.
 */
export function encodeData(data: MetaData, cache?: DatabaseBytesCache): Uint8Array {
  return writeData(data, (message) => new ProtoError(message), cache);
}

/** The DatabaseInfo entries of `Data` for these databases (see writeDatabaseFields). */
export function encodeDatabaseFields(
  databases: readonly DatabaseInfo[],
  cache?: DatabaseBytesCache,
): Uint8Array {
  return writeDatabaseFields(databases, (message) => new ProtoError(message), cache);
}

/** `Data` in pieces whose concatenation is its encoding (see writeDataParts). */
export function encodeDataParts(data: DataFields, databaseFields: readonly Uint8Array[]): Uint8Array[] {
  return writeDataParts(data, databaseFields, (message) => new ProtoError(message));
}

export function decodeData(bytes: Uint8Array): MetaData {
  return runSteps(decodeDataSteps(bytes));
}

function decodeDataSteps(bytes: Uint8Array): Steps<MetaData> {
  return readDataSteps(bytes, (message) => new ProtoError(`malformed data: ${message}`));
}
