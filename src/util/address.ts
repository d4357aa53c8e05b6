/** host:port strings as operators type them. */

/** The admin service's port when an address names none (influxd's [admin_cluster] default). */
export const DEFAULT_ADMIN_PORT = 8084;

/**
 * `addr` with `port` added when it names a host only ("node1", "127.0.0.1", "[::1]"), so every
 * message about it names the port that was really dialled.
 */
export function withDefaultPort(addr: string, port: number): string {
  const bracketed = /^\[[^\]]*\](:\d*)?$/.exec(addr);
  if (bracketed) return bracketed[1] ? addr : `${addr}:${port}`;
  if (addr.includes(":")) {
    // A bare IPv6 address has several colons and no port of its own.
    return addr.indexOf(":") !== addr.lastIndexOf(":") ? `[${addr}]:${port}` : addr;
  }
  return `${addr}:${port}`;
}

/**
 * host:port with a host name, an IPv4 address or a bracketed IPv6 address, and a port in 1-65535
 * (checked by `isHostPort`). Anything looser reaches `new URL("http://" + value)` further on,
 * where characters such as `|`, `%` or `<` throw.
 */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?):(\d{1,5})$/;

export function isHostPort(value: string): boolean {
  const port = Number(HOST_PORT.exec(value)?.[1] ?? 0);
  return port >= 1 && port <= 65535;
}
