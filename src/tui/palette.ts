/**
 * Running a command-palette line (`:remove node3:8091`). A command is a key binding's `command`
 * name (keymap.ts), so it runs exactly what the key does, disabled where the key is (read-only
 * refuses `:remove` as it refuses `d`); arguments pick the row or fill the dialog first.
 */

import { closest } from "../util/suggest.ts";
import { BINDINGS, paletteCommands, type KeyContext } from "./keymap.ts";
import { visibleRows } from "./state.ts";

export interface PaletteContext extends KeyContext {
  /** `:profile NAME`: reconnect the view with that profile's settings. */
  switchProfile?(name: string): void;
}

function say(ctx: KeyContext, text: string, tone: "warn" | "error" = "warn"): void {
  ctx.dispatch({ type: "status", text, tone, at: ctx.now });
}

export function runCommand(line: string, ctx: PaletteContext): void {
  const [name, ...rest] = line.replace(/^:/, "").trim().split(/\s+/);
  const arg = rest.join(" ");
  const known = paletteCommands();
  const command = known.find((c) => c.command === name);
  if (!command) {
    const near = closest(
      name,
      known.map((c) => c.command),
    );
    say(ctx, `unknown command :${name}${near ? `; did you mean :${near}?` : ""} (Tab completes)`, "error");
    return;
  }
  // `[ARG]`: the argument may be left out.
  if (
    command.commandArg &&
    !command.commandArg.startsWith("[") &&
    !arg &&
    name !== "filter" &&
    name !== "remove"
  ) {
    say(ctx, `:${name} needs ${command.commandArg}`, "error");
    return;
  }
  if (!command.commandArg && arg) {
    say(ctx, `:${name} takes no argument`, "error");
    return;
  }
  if (name === "bundle") {
    ctx.on.bundle?.(arg || undefined);
    return;
  }
  if (name === "profile") {
    if (!ctx.switchProfile) say(ctx, "this session cannot switch profiles (the demo has its own cluster)");
    else ctx.switchProfile(arg);
    return;
  }
  if (name === "leave") {
    // The node beside the admin service (or the meta API's own node), through :remove: one plan,
    // what-if marks included, as influxd-ctl leave removes that node through remove-meta.
    const self = ctx.state.cluster?.adminSelf;
    if (!self)
      say(ctx, "no answer yet from the service this view is bound to: which node would leave is unknown");
    else runCommand(`remove ${self}`, ctx);
    return;
  }
  // Arguments first: the node a command acts on becomes the selection, as if picked with ↑↓.
  if ((name === "remove" || name === "restart") && arg) {
    const row = visibleRows(ctx.state).find((r) => r.httpAddr === arg || String(r.id) === arg);
    if (!row) {
      say(ctx, `no node ${arg} in the table (give its HTTP address or ID; Tab completes)`, "error");
      return;
    }
    ctx.dispatch({ type: "select", key: row.key });
  }
  const binding = BINDINGS.find((b) => b.command === name)!;
  const state = ctx.state.mode === "palette" ? { ...ctx.state, mode: "list" as const } : ctx.state;
  const current = (name === "remove" || name === "restart") && arg ? withSelection(ctx, arg) : state;
  const off = binding.disabled?.(current, ctx.now) ?? null;
  if (off) {
    say(ctx, off.why);
    return;
  }
  binding.run({ ...ctx, state: current });
  if (name === "add" && arg) {
    ctx.dispatch({ type: "addType", text: arg });
    ctx.dispatch({ type: "addSubmit" });
    ctx.on.planAdd(arg);
  }
  if (name === "filter" && arg) {
    ctx.dispatch({ type: "filterType", text: arg });
    ctx.dispatch({ type: "filterAccept" });
  }
}

function withSelection(ctx: KeyContext, arg: string) {
  const row = visibleRows(ctx.state).find((r) => r.httpAddr === arg || String(r.id) === arg)!;
  return { ...ctx.state, mode: "list" as const, selectedKey: row.key };
}
