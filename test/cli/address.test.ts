import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_ADMIN_PORT, isHostPort, withDefaultPort } from "../../src/util/address.ts";

test("an address without a port gets the admin port; one with a port is kept", () => {
  assert.equal(withDefaultPort("127.0.0.1", DEFAULT_ADMIN_PORT), "127.0.0.1:8084");
  assert.equal(withDefaultPort("node1", 8084), "node1:8084");
  assert.equal(withDefaultPort("node1:9000", 8084), "node1:9000");
  assert.equal(withDefaultPort("[::1]", 8084), "[::1]:8084");
  assert.equal(withDefaultPort("[::1]:9000", 8084), "[::1]:9000");
  assert.equal(withDefaultPort("::1", 8084), "[::1]:8084", "a bare IPv6 address is bracketed");
});

test("host:port is checked as the admin service checks it", () => {
  for (const ok of ["node1:8091", "127.0.0.1:1", "[::1]:65535", "a_b.c-d:80"]) assert.ok(isHostPort(ok), ok);
  for (const bad of ["node1", "node1:0", "node1:65536", "no|de:80", ":80", "node1:"])
    assert.ok(!isHostPort(bad), bad);
});
