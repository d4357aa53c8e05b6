/**
 * A node's authentication and TLS settings, loaded once at start-up from the configuration:
 * the certificates its servers present, what its Raft transport and its clients trust, the
 * credentials it sends to other nodes and the guards of its two HTTP services. Files are read
 * here, so a missing certificate stops start-up with a message naming the key and the file.
 */

import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { TransportTlsOptions } from "../raft/transport.ts";
import { authGuard, internalAuthorization } from "../server/auth.ts";
import type { PeerAccess } from "../util/http-client.ts";
import type { RequestContext } from "../server/http-server.ts";
import { ConfigError, readSecrets, type Config } from "./config.ts";

/**
 * Meta-service routes only nodes may call (a token signed with internal-shared-secret): they
 * change Raft membership or wipe a node (operators do that through the admin service, which
 * checks the safety rules first), or hand out the whole metadata with users' password hashes.
 * `POST /join` serves both: the node-to-node form (with `raftAddr`) checks the credential
 * itself, the Enterprise form (`addr` only) runs the admin service's add-meta checks.
 */
export const META_INTERNAL_ROUTES: ReadonlySet<string> = new Set([
  "POST /execute",
  "POST /remove-meta",
  "POST /leadership-transfer",
  "GET /",
  "POST /hand-back",
]);

type Guard = (ctx: RequestContext) => Promise<void>;

/** The meta store's users, for checking user credentials. */
export type UserLookup = () => readonly { name: string; hash: string; admin: boolean }[];

export interface NodeSecurity {
  /** How this node reaches the other meta nodes (and itself) over HTTP. */
  peers: PeerAccess;
  metaTls?: { cert: Buffer; key: Buffer };
  adminTls?: { cert: Buffer; key: Buffer };
  raftTls?: TransportTlsOptions;
  metaGuard?: Guard;
  adminGuard?: Guard;
}

function readPem(section: string, key: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `[${section}] ${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

export function loadSecurity(
  config: Config,
  httpAddr: string,
  logger: Logger,
  users?: UserLookup,
): NodeSecurity {
  const m = config.meta;
  const a = config.admin_cluster;
  const security: NodeSecurity = { peers: { scheme: "http" } };
  if (m["https-enabled"]) {
    const cert = readPem("meta", "https-certificate", m["https-certificate"]);
    const key = readPem("meta", "https-private-key", m["https-private-key"]);
    const ca = m["https-ca"] ? readPem("meta", "https-ca", m["https-ca"]) : undefined;
    const rejectUnauthorized = !m["https-insecure-tls"];
    security.metaTls = { cert, key };
    // Raft is mutual TLS with the same certificate: every node both serves and dials.
    security.raftTls = { cert, key, ca, rejectUnauthorized };
    security.peers = { scheme: "https", tls: { rejectUnauthorized, ca } };
  }
  if (a["https-enabled"]) {
    security.adminTls = {
      cert: a["https-certificate"]
        ? readPem("admin_cluster", "https-certificate", a["https-certificate"])
        : readPem("meta", "https-certificate", m["https-certificate"]),
      key: a["https-private-key"]
        ? readPem("admin_cluster", "https-private-key", a["https-private-key"])
        : readPem("meta", "https-private-key", m["https-private-key"]),
    };
  }
  if (m["auth-enabled"]) {
    const { shared, internal } = readSecrets(config);
    security.peers.headers = () => ({ authorization: internalAuthorization(internal, httpAddr) });
    const guard = (internalOnly: ReadonlySet<string>, module: string) =>
      authGuard({
        sharedSecret: shared,
        internalSecret: internal,
        internalOnly,
        users,
        logger: logger.child({ module }),
      });
    security.metaGuard = guard(META_INTERNAL_ROUTES, "meta-auth");
    security.adminGuard = guard(new Set(), "admin-auth");
  }
  return security;
}
