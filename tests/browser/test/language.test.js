// Journey 3: the language link in the header switches to English, the choice is remembered
// (cookie) across pages and tabs, and the link switches back to Italian.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems } from '../lib/browser.js';
import { navigates, here } from '../lib/flows.js';

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

const htmlLang = (page) => page.locator('html').getAttribute('lang');
const h1 = (page) => page.locator('h1').innerText();
const switchLink = (page) => page.getByRole('banner').locator('a.lang-switch');
const nav = (page) => page.getByRole('navigation', { name: /Navigazione principale|Main navigation/ });

async function langCookie(page) {
  const cookies = await page.context().cookies(page.url());
  return cookies.find((c) => c.name === 'mire_lang')?.value;
}

test('switch to English, keep it across pages, switch back', async () => {
  const page = await newPage(browser, { locale: 'it-IT' });
  const problems = watchProblems(page);

  await visit(page, server.url, '/membri?kind=company');
  assert.equal(await htmlLang(page), 'it');
  assert.equal(await h1(page), "Membri dell'alleanza");
  assert.equal(await switchLink(page).innerText(), 'English');
  assert.equal(await switchLink(page).getAttribute('lang'), 'en', 'the link names its language in that language');
  assert.equal(await langCookie(page), undefined);

  // To English: same page, same filter, English texts.
  await navigates(page, () => switchLink(page).click());
  assert.equal(here(page), '/membri?kind=company', 'switching keeps the page and its filters');
  assert.equal(await htmlLang(page), 'en');
  assert.equal(await h1(page), 'Alliance members');
  assert.match(await page.title(), /^Alliance members · MIRE$/);
  assert.equal(await page.getByLabel('Kind').inputValue(), 'company');
  assert.equal(await page.locator('.skip-link').innerText(), 'Skip to main content');
  assert.equal(await nav(page).getAttribute('aria-label'), 'Main navigation');
  assert.match(await page.locator('main [role=status]').innerText(), /member(s)? found/);
  assert.equal(await switchLink(page).innerText(), 'Italiano');
  assert.equal(await switchLink(page).getAttribute('lang'), 'it');
  assert.equal(await langCookie(page), 'en', 'the choice is kept in the mire_lang cookie');

  // The choice holds on the next pages, reached by links.
  await navigates(page, () => nav(page).getByRole('link', { name: 'Home' }).click());
  assert.equal(here(page), '/');
  assert.equal(await htmlLang(page), 'en');
  assert.match(await page.locator('main').innerText(), /The alliance in numbers/);
  await navigates(page, () => page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click());
  assert.equal(here(page), '/accedi');
  assert.equal(await htmlLang(page), 'en');
  assert.equal(await h1(page), 'Sign in');

  // ... and in a new tab of the same browser.
  const tab = await page.context().newPage();
  await visit(tab, server.url, '/registrati');
  assert.equal(await htmlLang(tab), 'en');
  assert.equal(await h1(tab), 'Sign up');
  await tab.close();

  // Back to Italian.
  await navigates(page, () => switchLink(page).click());
  assert.equal(here(page), '/accedi');
  assert.equal(await htmlLang(page), 'it');
  assert.equal(await h1(page), 'Accedi');
  assert.equal(await langCookie(page), 'it');
  await navigates(page, () => nav(page).getByRole('link', { name: "Membri dell'alleanza" }).click());
  assert.equal(await htmlLang(page), 'it');
  assert.equal(await h1(page), "Membri dell'alleanza");

  assert.deepEqual(problems, []);
  await page.context().close();
});

test('pages are Italian by default, whatever the browser prefers, until the switch is used', async () => {
  const page = await newPage(browser, { locale: 'en-GB' });
  const problems = watchProblems(page);
  await visit(page, server.url, '/');
  assert.equal(await htmlLang(page), 'it', 'Italian is the default language of the pages');

  await navigates(page, () => switchLink(page).click());
  assert.equal(here(page), '/');
  assert.equal(await htmlLang(page), 'en');
  await visit(page, server.url, '/password-dimenticata');
  assert.equal(await htmlLang(page), 'en');
  assert.equal(await h1(page), 'Forgotten password');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the API documentation page follows the chosen language too', async () => {
  const page = await newPage(browser, { locale: 'it-IT' });
  const problems = watchProblems(page);
  await visit(page, server.url, '/');
  await navigates(page, () => switchLink(page).click());
  assert.equal(await htmlLang(page), 'en');

  await navigates(page, () => nav(page).getByRole('link', { name: 'API' }).click());
  assert.equal(here(page), '/api/docs');
  assert.equal(await htmlLang(page), 'en', 'English was chosen, but /api/docs is not in English');
  assert.equal(await h1(page), 'API documentation');

  await navigates(page, () => switchLink(page).click());
  assert.equal(here(page), '/api/docs');
  assert.equal(await htmlLang(page), 'it', 'the switch on /api/docs must bring back Italian');
  assert.equal(await h1(page), 'Documentazione delle API');
  assert.deepEqual(problems, []);
  await page.context().close();
});
