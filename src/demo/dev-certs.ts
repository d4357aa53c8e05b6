/**
 * A throw-away CA and one node certificate signed by it, made with the `openssl` command, for
 * local clusters with TLS (tests, the demo). Every node uses the same certificate, valid for
 * `localhost` and the given IP addresses, for serving and as its Raft client certificate.
 * Never for production: the CA key lies next to the certificates, unencrypted.
 */

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface DevCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === "ENOENT") throw new Error("generating test certificates needs the openssl command");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

export function generateDevCertificates(dir: string, ips: string[]): DevCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => join(dir, name);
  const altNames = ["DNS:localhost", ...ips.map((ip) => `IP:${ip}`)].join(",");
  // Our own config, so the system openssl.cnf cannot add or duplicate extensions.
  writeFileSync(
    file("openssl.cnf"),
    [
      "[req]",
      "distinguished_name = dn",
      "prompt = no",
      "[dn]",
      "CN = influx-cluster",
      "[ca]",
      "basicConstraints = critical,CA:TRUE",
      "keyUsage = critical,keyCertSign,cRLSign",
      "subjectKeyIdentifier = hash",
      "[node]",
      "basicConstraints = critical,CA:FALSE",
      "keyUsage = critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage = serverAuth,clientAuth",
      `subjectAltName = ${altNames}`,
      "authorityKeyIdentifier = keyid",
      "",
    ].join("\n"),
  );
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const cnf = ["-config", file("openssl.cnf")];
  openssl([
    "req",
    "-x509",
    ...cnf,
    "-extensions",
    "ca",
    ...key,
    "-keyout",
    file("ca.key"),
    "-out",
    file("ca.pem"),
    "-days",
    "30",
    "-subj",
    "/CN=influx-cluster test CA",
  ]);
  openssl([
    "req",
    "-new",
    ...cnf,
    ...key,
    "-keyout",
    file("node.key"),
    "-out",
    file("node.csr"),
    "-subj",
    "/CN=influx-cluster node",
  ]);
  openssl([
    "x509",
    "-req",
    "-in",
    file("node.csr"),
    "-CA",
    file("ca.pem"),
    "-CAkey",
    file("ca.key"),
    "-set_serial",
    "2",
    "-days",
    "30",
    "-extfile",
    file("openssl.cnf"),
    "-extensions",
    "node",
    "-out",
    file("node.pem"),
  ]);
  return { caFile: file("ca.pem"), certFile: file("node.pem"), keyFile: file("node.key") };
}
