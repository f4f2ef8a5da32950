// Time regained: "Il mio tragitto" (the commute profile) reached from the profile page,
// refused with an error summary and messages by the fields (422, values kept), then saved;
// the Municipio table on /tempo-ritrovato; a firm's sums for its representative. axe-core
// finds no serious or critical violation on them, at desktop size and at 375 px (no sideways
// scrolling), in Italian and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems, assertNoSidewaysScroll } from '../lib/browser.js';
import { assertAccessible } from '../lib/axe.js';
import { navigates, uniqueEmail, logIn, registerOrganization } from '../lib/flows.js';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 667 };

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function check(page, problems, label, viewport) {
  assert.deepEqual(problems.splice(0), [], `${label}: problems while loading`);
  await assertAccessible(page, `${label} [${viewport.width}px]`);
  if (viewport === PHONE) await assertNoSidewaysScroll(page, label);
}

const TAX_CODES = { 1280: '13579246805', 375: '24680135795' };

for (const viewport of [DESKTOP, PHONE]) {
  test(`the commute form at ${viewport.width}px: errors, then saved`, async () => {
    const email = uniqueEmail(`tragitto-${viewport.width}`);
    const password = 'Tempo-ritrovato-2026!';
    await server.createUser({ email, password, role: 'worker', name: 'Lavoratrice Prova' });
    const page = await newPage(browser, { viewport });
    const problems = watchProblems(page);
    await logIn(page, server, email, password);

    await visit(page, server.url, '/profilo');
    await navigates(page, () => page.getByRole('link', { name: 'Il mio tragitto' }).click());
    assert.equal(new URL(page.url()).pathname, '/profilo/tragitto');
    await check(page, problems, '/profilo/tragitto (empty)', viewport);

    // A home outside Milan and an office given twice: refused, everything kept.
    await page.locator('#f-home').fill('45.5845, 9.2744');
    await page.locator('#f-office_nil').selectOption('15');
    await page.locator('#f-office').fill('45.5136, 9.2110');
    await page.locator('#f-mode').selectOption('car');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/profilo/tragitto') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Salva il tragitto' }).click(),
    ]);
    assert.equal(response.status(), 422);
    await page.waitForLoadState('load');
    const summary = page.getByRole('alert');
    assert.equal(await summary.count(), 1, 'one error summary');
    assert.equal(await summary.getByRole('link').count(), 2, 'a link for each wrong field');
    assert.equal(await page.locator('#f-home').getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('#f-home').getAttribute('aria-describedby'), /e-home/);
    assert.equal(await page.locator('#f-home').inputValue(), '45.5845, 9.2744', 'typed home kept');
    assert.equal(await page.locator('#f-mode').inputValue(), 'car', 'chosen mode kept');
    await check(page, problems, '/profilo/tragitto (errors)', viewport);

    // Corrected: home from the NIL list, office as coordinates only.
    await page.locator('#f-home').fill('');
    await page.locator('#f-home_nil').selectOption('35');
    await page.locator('#f-office_nil').selectOption('');
    await navigates(page, () => page.getByRole('button', { name: 'Salva il tragitto' }).click());
    assert.equal(new URL(page.url()).pathname, '/profilo/tragitto');
    assert.equal(await page.getByRole('status').count(), 1, 'a saved notice');
    assert.equal(await page.locator('#f-home_nil').inputValue(), '35', 'the NIL is remembered');
    assert.equal(await page.locator('#f-office').inputValue(), '45.5136, 9.211');
    await check(page, problems, '/profilo/tragitto (saved)', viewport);

    await page.context().addCookies([{ name: 'mire_lang', value: 'en', url: server.url }]);
    await visit(page, server.url, '/profilo/tragitto');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.getByRole('heading', { level: 1, name: 'My commute' }).count(), 1);
    await check(page, problems, '/profilo/tragitto (en)', viewport);

    for (const lang of ['en', 'it']) {
      await page.context().addCookies([{ name: 'mire_lang', value: lang, url: server.url }]);
      await visit(page, server.url, '/tempo-ritrovato');
      const table = page.locator('#municipi-table');
      assert.equal(await table.locator('tbody tr').count(), 9, 'all nine Municipi listed');
      await check(page, problems, `/tempo-ritrovato (${lang})`, viewport);
    }

    // As the representative of a firm: its sums, linked from its page.
    const orgId = await registerOrganization(page, server, {
      name: `Impresa Tempo ${viewport.width}`,
      kind: 'company',
      taxCode: TAX_CODES[viewport.width],
      size: 'small',
      address: 'Viale Sarca 200, Milano',
      lat: '45.5136',
      lon: '9.211',
    });
    await visit(page, server.url, `/organizzazioni/${orgId}`);
    await navigates(page, () =>
      page.getByRole('link', { name: 'Tempo ritrovato dai dipendenti in coworking' }).click(),
    );
    assert.equal(new URL(page.url()).pathname, `/organizzazioni/${orgId}/tempo-ritrovato`);
    assert.equal(await page.locator('#firm-workers').textContent(), '0', 'no employee gave a commute yet');
    await check(page, problems, 'firm time regained', viewport);
    await page.close();
  });
}
