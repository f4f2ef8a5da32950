// Journey 5: axe-core finds no serious or critical violation on the pages of the portal,
// in Italian and in English, signed out, as an organisation's representative and as a
// coordinator, with forms showing errors, and at a phone's size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems } from '../lib/browser.js';
import { assertAccessible } from '../lib/axe.js';
import { signUp, logIn, registerOrganization, askToJoin, fillOrganization, navigates, mainText, uniqueEmail } from '../lib/flows.js';

const PHONE = { width: 375, height: 667 };

let server;
let browser;
let orgId;
const rep = { name: 'Paola Rossi', email: uniqueEmail('paola'), password: 'pagine accessibili per tutti' };
const coordinator = { email: uniqueEmail('coordinamento'), password: 'coordinamento accessibile 1' };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await server.createUser({ ...coordinator, role: 'coordinator', name: 'Cesare Coordinatore' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A fresh browser context in `lang`, optionally signed in. */
async function open({ lang = 'it', viewport, as } = {}) {
  const page = await newPage(browser, { viewport });
  if (lang !== 'it') {
    await page.context().addCookies([{ name: 'mire_lang', value: lang, url: server.url }]);
  }
  const problems = watchProblems(page);
  if (as) {
    if (lang !== 'it') throw new Error('sign in first in Italian, the helpers use Italian labels');
    await logIn(page, server, as.email, as.password);
  }
  return { page, problems };
}

/** Checks the page as it is now: language, no load problems, no blocking axe violation. */
async function check(page, problems, label, lang) {
  assert.equal(await page.locator('html').getAttribute('lang'), lang, `${label}: html lang`);
  assert.deepEqual(problems.splice(0), [], `${label}: problems while loading`);
  await assertAccessible(page, `${label} [${lang}]`);
}

/** Visits each path and checks it, as one subtest per page. */
async function checkPages(t, page, problems, paths, lang) {
  for (const path of paths) {
    await t.test(`${path} (${lang})`, async () => {
      await visit(page, server.url, path);
      await check(page, problems, path, lang);
    });
  }
}

/** Submits the only form in main as it is, and waits for the answer page. */
async function submitMainForm(page) {
  await navigates(page, () => page.locator('main form button[type=submit]').last().press('Enter'));
}

test('signed out, Italian', async (t) => {
  const { page, problems } = await open();
  await checkPages(t, page, problems, [
    '/',
    '/membri',
    '/membri?kind=company',
    '/membri?municipio=1&action_line=welfare',
    '/organizzazioni/1',
    '/accedi',
    '/registrati',
    '/password-dimenticata',
    '/api/docs',
  ], 'it');

  await t.test('/registrati with errors (it)', async () => {
    await visit(page, server.url, '/registrati');
    await page.getByLabel('E-mail').fill('sbagliata');
    await submitMainForm(page);
    assert.equal(await page.getByRole('alert').count(), 1, 'the error summary is shown');
    await check(page, problems, '/registrati with errors', 'it');
  });

  await t.test('/accedi with errors (it)', async () => {
    await visit(page, server.url, '/accedi');
    await page.getByLabel('E-mail').fill('nessuno@example.org');
    await page.getByLabel('Password').fill('password sbagliata');
    await submitMainForm(page);
    assert.equal(await page.getByRole('alert').count(), 1, 'the error summary is shown');
    await check(page, problems, '/accedi with errors', 'it');
  });

  await t.test('page not found (it)', async () => {
    const res = await page.goto(new URL('/organizzazioni/999999', server.url).href);
    assert.equal(res.status(), 404);
    await check(page, problems, '404 page', 'it');
  });
  await page.context().close();
});

test('organisation representative, Italian', async (t) => {
  const { page, problems } = await open();
  await signUp(page, server, rep);
  await check(page, problems, '/area-personale (just confirmed)', 'it');

  await checkPages(t, page, problems, ['/area-personale', '/profilo', '/organizzazioni/nuova'], 'it');

  await t.test('/organizzazioni/nuova with errors (it)', async () => {
    await visit(page, server.url, '/organizzazioni/nuova');
    await fillOrganization(page, { name: '', kind: 'company', taxCode: '12345', lat: 'nord', lon: '9.19' });
    await submitMainForm(page);
    assert.ok((await page.getByRole('alert').getByRole('link').count()) >= 3, 'errors for name, tax code and latitude');
    await check(page, problems, '/organizzazioni/nuova with errors', 'it');
  });

  await t.test('join page (it)', async () => {
    orgId = await registerOrganization(page, server, {
      name: 'Cooperativa Accessibile',
      kind: 'cooperative',
      taxCode: '12345678903',
      size: 'small',
      address: 'Via Padova 10, Milano',
      lat: '45.4642',
      lon: '9.19',
    });
    await check(page, problems, 'join page', 'it');
  });

  await t.test('organisation page with a pending request (it)', async () => {
    await askToJoin(page, { lines: ['Coworking'], message: 'Offriamo spazi di coworking.' });
    assert.match(await mainText(page), /In attesa/);
    await check(page, problems, 'organisation page (insider)', 'it');
  });

  await checkPages(t, page, problems, ['/area-personale', '/profilo'], 'it');
  await page.context().close();
});

test('coordinator, Italian', async (t) => {
  assert.ok(orgId, 'the representative test registered an organisation with a pending request');
  const { page, problems } = await open({ as: coordinator });
  await t.test('/coordinamento/richieste with a pending request (it)', async () => {
    await visit(page, server.url, '/coordinamento/richieste');
    assert.equal(await page.locator('main section.card').count(), 1, 'one pending request is listed');
    await check(page, problems, '/coordinamento/richieste', 'it');
  });
  await t.test('/coordinamento/richieste with a rejection error (it)', async () => {
    await visit(page, server.url, '/coordinamento/richieste');
    // Rejecting without a reason is refused with an error summary.
    await navigates(page, () => page.locator('main section.card').getByRole('button', { name: /^Respingi/ }).click());
    assert.equal(await page.getByRole('alert').count(), 1, 'the error summary is shown');
    assert.equal(await page.locator('main section.card').count(), 1, 'the request is still pending');
    await check(page, problems, '/coordinamento/richieste with errors', 'it');
  });
  await checkPages(t, page, problems, [`/organizzazioni/${orgId}`, '/area-personale'], 'it');
  await page.context().close();
});

test('English pages', async (t) => {
  const anon = await open({ lang: 'en' });
  await checkPages(t, anon.page, anon.problems, ['/', '/membri', '/membri?kind=company', '/accedi', '/registrati', '/password-dimenticata', '/api/docs'], 'en');
  await t.test('/registrati with errors (en)', async () => {
    await visit(anon.page, server.url, '/registrati');
    await submitMainForm(anon.page);
    assert.equal(await anon.page.getByRole('alert').count(), 1);
    await check(anon.page, anon.problems, '/registrati with errors', 'en');
  });
  await anon.page.context().close();

  // Signed in first (Italian labels), then switched to English with the header link.
  const { page, problems } = await open({ as: coordinator });
  await navigates(page, () => page.getByRole('banner').getByRole('link', { name: 'English' }).click());
  await checkPages(t, page, problems, ['/area-personale', '/profilo', '/coordinamento/richieste', '/organizzazioni/nuova'], 'en');
  await t.test('/organizzazioni/nuova with errors (en)', async () => {
    await visit(page, server.url, '/organizzazioni/nuova');
    await page.getByLabel('Tax code').fill('00000000000x');
    await submitMainForm(page);
    assert.equal(await page.getByRole('alert').count(), 1);
    await check(page, problems, '/organizzazioni/nuova with errors', 'en');
  });
  await page.context().close();
});

test('phone viewport (375x667)', async (t) => {
  for (const lang of ['it', 'en']) {
    const { page, problems } = await open({ lang, viewport: PHONE });
    for (const path of ['/', '/membri']) {
      await t.test(`${path} on a phone (${lang})`, async () => {
        await visit(page, server.url, path);
        await check(page, problems, `${path} on a phone`, lang);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${path}: the page is ${overflow}px wider than a 375px phone screen (sideways scrolling)`);
      });
    }
    await page.context().close();
  }
});
