import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardError, isLoopback, parseListen } from '../../../maintainer/dashboard/server.js';

test('--listen takes HOST:PORT, IPv6 in brackets, and names what is wrong otherwise', () => {
  assert.deepEqual(parseListen('127.0.0.1:7480'), { host: '127.0.0.1', port: 7480 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('localhost:8080'), { host: 'localhost', port: 8080 });
  for (const bad of ['7480', '127.0.0.1', '127.0.0.1:70000', 'host:port', '::1:80']) {
    assert.throws(() => parseListen(bad), (error: unknown) => error instanceof DashboardError && error.code === 'LISTEN_INVALID' && error.message.includes(bad));
  }
});

test('loopback addresses are told from others', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.ok(isLoopback(host), host);
  for (const host of ['0.0.0.0', '192.168.1.10', 'example.org', '::']) assert.ok(!isLoopback(host), host);
});
