import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedHosts, cookieNameFor, cookieValue, guard, type GuardConfig, type GuardRequest } from '../../../maintainer/dashboard/guard.js';

const CONFIG: GuardConfig = { secret: 's3cret-value', hosts: allowedHosts('127.0.0.1', 7480), cookieName: cookieNameFor(7480) };
const COOKIE = `${CONFIG.cookieName}=${CONFIG.secret}`;
const request = (over: Partial<GuardRequest>): GuardRequest => ({
  method: 'GET', url: '/', host: '127.0.0.1:7480', origin: undefined, secFetchSite: undefined, secFetchMode: undefined, cookie: COOKIE, ...over,
});

test('a request with the cookie from its own page or a typed URL is allowed', () => {
  assert.deepEqual(guard(CONFIG, request({})), { kind: 'allow' });
  assert.deepEqual(guard(CONFIG, request({ secFetchSite: 'same-origin', origin: 'http://127.0.0.1:7480' })), { kind: 'allow' });
  assert.deepEqual(guard(CONFIG, request({ secFetchSite: 'none', host: 'localhost:7480' })), { kind: 'allow' });
});

test('the printed URL sets an HttpOnly SameSite=Strict cookie and drops the secret from the address', () => {
  const decision = guard(CONFIG, request({ url: `/bundle/ab?status=FAIL&token=${CONFIG.secret}`, cookie: undefined, secFetchMode: 'navigate' }));
  assert.equal(decision.kind, 'login');
  assert.ok(decision.kind === 'login');
  assert.equal(decision.location, '/bundle/ab?status=FAIL');
  assert.equal(decision.setCookie, `${COOKIE}; HttpOnly; SameSite=Strict; Path=/`);
});

test('without the secret, with a wrong one, or a wrong token, a request is refused', () => {
  for (const over of [{ cookie: undefined }, { cookie: `${CONFIG.cookieName}=guess` }, { cookie: `darkroom_dashboard_9999=${CONFIG.secret}` }, { cookie: undefined, url: '/?token=guess' }]) {
    const decision = guard(CONFIG, request(over));
    assert.equal(decision.kind, 'refuse', JSON.stringify(over));
    assert.ok(decision.kind === 'refuse');
    assert.equal(decision.status, 401);
    assert.equal(decision.code, 'SECRET_MISSING');
  }
});

test('a foreign Host header (DNS rebinding) is refused even with the secret', () => {
  for (const host of ['evil.example:7480', '127.0.0.1:7481', undefined, '127.0.0.1']) {
    const decision = guard(CONFIG, request({ host, url: `/?token=${CONFIG.secret}` }));
    assert.ok(decision.kind === 'refuse', String(host));
    assert.equal(decision.code, 'HOST_REFUSED');
    assert.equal(decision.status, 403);
  }
});

test('cross-origin and same-site requests are refused even with the cookie', () => {
  for (const over of [{ origin: 'http://evil.example' }, { origin: 'http://127.0.0.1:9999' }, { origin: 'null' }, { secFetchSite: 'cross-site' }, { secFetchSite: 'same-site' }]) {
    const decision = guard(CONFIG, request(over));
    assert.ok(decision.kind === 'refuse', JSON.stringify(over));
    assert.equal(decision.code, 'CROSS_ORIGIN');
  }
  const fetched = guard(CONFIG, request({ url: `/?token=${CONFIG.secret}`, secFetchMode: 'cors', secFetchSite: 'cross-site', origin: 'http://evil.example' }));
  assert.ok(fetched.kind === 'refuse');
  assert.equal(fetched.code, 'CROSS_ORIGIN', 'a script elsewhere cannot log in with the token either');
});

test('only reads are allowed', () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const decision = guard(CONFIG, request({ method }));
    assert.ok(decision.kind === 'refuse');
    assert.equal(decision.status, 405);
  }
});

test('hosts of an IPv6 listener are bracketed; cookies are read by exact name', () => {
  assert.ok(allowedHosts('::1', 80).includes('[::1]:80'));
  assert.equal(cookieValue('a=1; darkroom_dashboard_1=x=y; b=2', 'darkroom_dashboard_1'), 'x=y');
  assert.equal(cookieValue('xdarkroom_dashboard_1=z', 'darkroom_dashboard_1'), undefined);
});
