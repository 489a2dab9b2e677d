// Privacy and access end to end, on the store the suite runs with (DuckDB,
// or ClickHouse with FOVEA_E2E_STORE=clickhouse): a user's data erased
// through the API is gone from every answer while another visitor's stays;
// an admin manages users and tokens in the dashboard, and the audit log
// shows it; a viewer sees no admin page and a read-only token changes
// nothing.
//
//   cargo build && (cd sdk && npm ci && npm run build) && (cd dashboard && npm ci && npm run build)
//   cd e2e && npm ci && node --test privacy.test.mjs

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp, launchBrowser, login, poll, postKnownSession, startDemo, startFovea } from './harness.mjs';

let fovea;
let app;
let browser;

before(async () => {
  fovea = await startFovea();
  app = await createApp(fovea, 'private shop');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await fovea?.stop();
});

test("an erased user's sessions are gone from every answer and another visitor's stay", async () => {
  const { sessionId } = await postKnownSession(fovea, app); // user "known-user"
  // Another visitor: a real browser on the demo shop, no user id.
  const demo = await startDemo(fovea, app, { sessions: 1 });
  await demo.stop();
  const sessions = async () => (await fovea.api(`/apps/${app.id}/sessions`)).sessions;
  await poll(async () => (await sessions()).length >= 2, { timeout: 30000, message: 'both sessions stored' });
  const others = (await sessions()).filter((s) => s.id != sessionId).map((s) => s.id);
  const issuesBefore = (await fovea.api(`/apps/${app.id}/issues`)).issues.length;

  const { erasure_id } = await fovea.api(`/apps/${app.id}/users/known-user`, { method: 'DELETE' });
  const done = await poll(
    async () => {
      const e = await fovea.api(`/erasures/${erasure_id}`);
      assert.notEqual(e.status, 'failed');
      return e.status == 'done' && e;
    },
    { timeout: 60000, message: 'the erasure is done' },
  );
  assert.ok(done.rows_removed >= 6, `the known session's rows went: ${JSON.stringify(done)}`);

  const after = await sessions();
  assert.deepEqual(after.map((s) => s.id).sort(), others.sort(), 'only the other visitor is left');
  await assert.rejects(fovea.api(`/apps/${app.id}/sessions/${sessionId}`), /404/);
  const users = await fovea.api(`/apps/${app.id}/sessions?user=known-user`);
  assert.equal(users.sessions.length, 0);
  const summary = await fovea.api(`/apps/${app.id}/summary`);
  assert.equal(summary.sessions, others.length, JSON.stringify(summary));
  const issues = (await fovea.api(`/apps/${app.id}/issues`)).issues;
  assert.ok(issues.length < issuesBefore, 'the unhandled error of the erased session is gone');
  for (const s of others) assert.ok((await fovea.api(`/apps/${app.id}/sessions/${s}`)).events.length > 0);
});

test('an admin manages users and tokens in the dashboard and the audit log shows it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, fovea, '/admin/users');
  await page.waitForSelector('[data-testid=users-table]');
  const form = page.locator('[data-testid=user-add-form]');
  await form.locator('input[name=username]').fill('vera');
  await form.locator('input[name=password]').fill('a long viewer password');
  await form.locator('select[name=role]').selectOption('viewer');
  await form.locator(`input[name=apps][value="${app.id}"]`).check();
  await form.locator('button[type=submit]').click();
  const row = page.locator('[data-testid=user-row][data-username=vera]');
  await row.waitFor();
  assert.match(await row.locator('[data-testid=user-role]').innerText(), /viewer/i);

  await page.goto(`${fovea.url}/account/tokens`);
  const tokenForm = page.locator('[data-testid=token-add-form]');
  await tokenForm.locator('input[name=name]').fill('ci');
  await tokenForm.locator('select[name=access]').selectOption('read');
  await tokenForm.locator('button[type=submit]').click();
  const token = (await page.locator('[data-testid=token-value]').innerText()).trim();
  assert.match(token, /^fvt_/);
  const asToken = (path, init = {}) =>
    fetch(`${fovea.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const me = await (await asToken('/me')).json();
  assert.deepEqual([me.username, me.role, me.read_only], ['admin', 'admin', true]);
  assert.equal((await asToken(`/apps/${app.id}/vitals?metric=lcp`)).status, 200, 'a read-only token reads');
  assert.equal((await asToken(`/apps/${app.id}`, { method: 'PATCH', body: '{"name":"x"}' })).status, 403, 'and writes nothing');

  await page.goto(`${fovea.url}/admin/audit`);
  await page.waitForSelector('[data-testid=audit-row]');
  const audit = await page.locator('[data-testid=audit-table]').innerText();
  for (const action of ['user.create', 'token.create', 'login', 'erasure.request']) assert.ok(audit.includes(action), `${action} in the audit log`);
  await context.close();
});

test('a viewer reads its app but sees no admin page and no write control', async () => {
  await fovea.api('/users', {
    method: 'POST',
    body: JSON.stringify({ username: 'val', password: 'another long password', role: 'viewer', apps: [app.id] }),
  }).catch((e) => assert.equal(e.status, 409)); // made by an earlier run of this file's test
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${fovea.url}/login?next=/admin/users`);
  await page.fill('input[name=username]', 'val');
  await page.fill('input[name=password]', 'another long password');
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
  await page.waitForSelector('[data-testid=admins-only]');
  assert.equal(await page.locator('[data-testid=nav-users]').count(), 0, 'no Users link');
  const status = await page.evaluate(async (id) => {
    const r = await fetch(`/api/v1/apps/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-fovea-csrf': '1' }, body: '{"name":"mine"}' });
    return r.status;
  }, app.id);
  assert.equal(status, 403, 'the server refuses a viewer what the dashboard hides');
  await context.close();
});
