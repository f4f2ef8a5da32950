// Proximity and time: "Cosa c'è a 15 minuti", the NIL accessibility map and the
// time-regained calculator. Each works with the keyboard alone (choosing from lists by typing,
// Tab and Enter, the map's NIL links), and axe-core finds no serious or critical violation on
// them, with results and with errors, at desktop size and at 375 px, in Italian and English.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems, assertNoSidewaysScroll } from '../lib/browser.js';
import { assertAccessible } from '../lib/axe.js';
import { navigates, here, mainText } from '../lib/flows.js';
import { focused, describe, tabUntil, hasVisibleOutline } from '../lib/keyboard.js';

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 667 };

/** Pages that answer 200: empty forms and forms with results. */
const PAGES = [
  '/quindici-minuti',
  '/quindici-minuti?nil=1&mode=transit',
  '/quindici-minuti?by=point&from=45.4780%2C+9.2270&mode=walk',
  '/accessibilita',
  '/accessibilita?mode=transit',
  '/tempo-ritrovato',
  '/tempo-ritrovato?home_nil=35&office_nil=15&coworking_nil=36&mode=car',
];
/** Pages that answer 422 with an error summary. */
const ERROR_PAGES = [
  '/quindici-minuti?by=point&from=45.5845%2C9.2744&mode=walk',
  '/quindici-minuti?by=nil&nil=&mode=walk',
  '/tempo-ritrovato?home=45.439%2C9.224&home_nil=35&office_nil=15&mode=transit',
];

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

async function open(viewport, lang = 'it') {
  const page = await newPage(browser, { viewport });
  if (lang !== 'it') {
    await page.context().addCookies([{ name: 'mire_lang', value: lang, url: server.url }]);
  }
  return { page, problems: watchProblems(page) };
}

/** Language, load problems, axe, and at phone size no sideways scrolling of the page. */
async function check(page, problems, label, lang, viewport) {
  assert.equal(await page.locator('html').getAttribute('lang'), lang, `${label}: html lang`);
  assert.deepEqual(problems.splice(0), [], `${label}: problems while loading`);
  await assertAccessible(page, `${label} [${lang}, ${viewport.width}px]`);
  if (viewport === PHONE) await assertNoSidewaysScroll(page, label);
}

for (const viewport of [DESKTOP, PHONE]) {
  for (const lang of ['it', 'en']) {
    test(`axe and layout at ${viewport.width}px, ${lang}`, async (t) => {
      const { page, problems } = await open(viewport, lang);
      for (const path of PAGES) {
        await t.test(path, async () => {
          await visit(page, server.url, path);
          await check(page, problems, path, lang, viewport);
        });
      }
      for (const path of ERROR_PAGES) {
        await t.test(`${path} (errors)`, async () => {
          const res = await page.goto(new URL(path, server.url).href);
          assert.equal(res.status(), 422, `${path} answers 422`);
          assert.equal(await page.getByRole('alert').count(), 1, 'the error summary is shown');
          await check(page, problems, `${path} (errors)`, lang, viewport);
        });
      }
      await page.context().close();
    });
  }
}

/** Tabs to the select with `id` and picks an option by typing its first letters. */
async function chooseByTyping(page, id, letters, expected) {
  await tabUntil(page, (f) => f.id === id, `the list #${id}`, 200);
  await page.keyboard.type(letters);
  const chosen = await page.locator(`#${id} option:checked`).innerText();
  assert.equal(chosen.trim(), expected, `typing "${letters}" in #${id} chose "${chosen}"`);
}

test('15 minutes with the keyboard: a NIL from the list, a NIL on the map, coordinates', async () => {
  const { page, problems } = await open(DESKTOP);
  await visit(page, server.url, '/');
  const nav = await tabUntil(page, (f) => f.href === '/quindici-minuti', 'the navigation link');
  assert.ok(hasVisibleOutline(nav));
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(here(page), '/quindici-minuti');

  // A NIL chosen from the list, by public transport.
  await chooseByTyping(page, 'f-nil', 'DUOMO', 'DUOMO');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page))?.id, 'f-mode');
  await page.keyboard.type('Mezzi');
  await page.keyboard.press('Tab');
  const show = await focused(page);
  assert.equal(show?.tag, 'button', `after the mode, Tab reached ${describe(show)}`);
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.match(here(page), /nil=1&mode=transit/);
  assert.match(await page.locator('#risultati').innerText(), /Cosa raggiungi da DUOMO/);
  assert.ok((await page.locator('.results tbody tr').count()) >= 7, 'a row per service category');
  assert.match(await mainText(page), /Stazioni della metropolitana/);

  // A NIL picked on the map: its links are reached with Tab, show focus and open the NIL.
  const marker = await tabUntil(
    page,
    (f) => f.tag === 'a' && (f.href ?? '').startsWith('/quindici-minuti?nil=') && !f.href.startsWith('/quindici-minuti?nil=1&'),
    'a NIL on the map',
    400,
  );
  assert.ok(hasVisibleOutline(marker), `the focused map link ${describe(marker)} has no visible outline`);
  const name = marker.name.split(':')[0].trim();
  assert.ok(name.length > 0, `the map link is named after its NIL: "${marker.name}"`);
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.match(here(page), /^\/quindici-minuti\?nil=\d+&mode=transit$/);
  assert.equal(new URL(page.url()).hash, '#risultati', 'the map link leads to the results');
  assert.equal((await page.locator('#risultati').innerText()).trim(), `Cosa raggiungi da ${name}`);

  // Coordinates outside the city: an error by the field, the text kept; then corrected.
  await visit(page, server.url, '/quindici-minuti');
  await tabUntil(page, (f) => f.id === 'f-from', 'the coordinates field', 200);
  await page.keyboard.type('45.5845, 9.2744');
  const answer = page.waitForResponse((r) => r.request().isNavigationRequest());
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal((await answer).status(), 422);
  const summary = page.getByRole('alert');
  assert.equal(await summary.getByRole('link').getAttribute('href'), '#f-from');
  assert.match(await summary.innerText(), /fuori dal territorio del Comune di Milano/);
  const field = page.locator('#f-from');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  assert.equal(await field.inputValue(), '45.5845, 9.2744', 'what was typed is kept');
  await tabUntil(page, (f) => f.id === 'f-from', 'the coordinates field again', 200);
  await page.keyboard.press('Control+A');
  await page.keyboard.type('45.4780, 9.2270');
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.match(await page.locator('#risultati').innerText(), /45,47800; 9,22700/);
  assert.equal(await page.getByRole('alert').count(), 0);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('15 minutes with the mouse: clicking a NIL on the map shows it', async () => {
  const { page, problems } = await open(DESKTOP);
  await visit(page, server.url, '/quindici-minuti');
  const link = page.locator('svg a.map-marker-nil').nth(10);
  const title = (await link.locator('title').textContent()).split(':')[0].trim();
  await navigates(page, () => link.click());
  assert.equal((await page.locator('#risultati').innerText()).trim(), `Cosa raggiungi da ${title}`);
  assert.ok((await page.locator('svg .map-marker-origin').count()) === 1, 'the origin is marked');
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('accessibility with the keyboard: change the mode, scroll the table of every NIL', async () => {
  const { page, problems } = await open(PHONE);
  await visit(page, server.url, '/accessibilita');
  await chooseByTyping(page, 'f-mode', 'Mezzi', 'Mezzi pubblici (con tratti a piedi)');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page))?.tag, 'button');
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(here(page), '/accessibilita?mode=transit');
  assert.equal(await page.locator('#f-mode').inputValue(), 'transit', 'the choice is kept');
  assert.equal(await page.locator('.table-numbers tbody tr').count(), 88, 'a row for each of the 88 NIL');
  assert.equal(await page.locator('svg.map .map-legend rect').count(), 5, 'the legend has five classes');

  // The wide table scrolls inside its own region, which the keyboard can reach and move.
  const region = await tabUntil(page, (f) => (f.cls ?? '').includes('table-scroll'), 'the table region', 200);
  assert.ok(hasVisibleOutline(region), 'the table region shows its focus');
  const before = await page.locator('.table-scroll').evaluate((el) => el.scrollLeft);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  // Keyboard scrolling may be animated: wait for the region to move (failing at the deadline).
  await page
    .waitForFunction((from) => document.querySelector('.table-scroll').scrollLeft > from, before)
    .catch(() => assert.fail('the arrow keys do not scroll the table region'));

  // A NIL's name opens what is within 15 minutes of it, with the same mode.
  const first = await tabUntil(page, (f) => (f.href ?? '').startsWith('/quindici-minuti?nil='), 'a NIL in the table', 50);
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.match(here(page), /mode=transit/);
  assert.equal((await page.locator('#risultati').innerText()).trim(), `Cosa raggiungi da ${first.name}`);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('time regained with the keyboard: three NIL, car, and the errors when nothing is chosen', async () => {
  const { page, problems } = await open(DESKTOP);
  await visit(page, server.url, '/tempo-ritrovato');
  // Sent empty: each place asks for a NIL or coordinates.
  await tabUntil(page, (f) => f.tag === 'button' && /Calcola/.test(f.name), 'the submit button', 200);
  const answer = page.waitForResponse((r) => r.request().isNavigationRequest());
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal((await answer).status(), 422);
  const links = await page
    .getByRole('alert')
    .getByRole('link')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(links, ['#f-home_nil', '#f-office_nil', '#f-coworking_nil']);

  await chooseByTyping(page, 'f-home_nil', 'LODI', 'LODI - CORVETTO');
  await chooseByTyping(page, 'f-office_nil', 'BICOCCA', 'BICOCCA');
  await chooseByTyping(page, 'f-coworking_nil', 'SCALO', 'SCALO ROMANA');
  await chooseByTyping(page, 'f-mode', 'Auto', 'Auto');
  await tabUntil(page, (f) => f.tag === 'button' && /Calcola/.test(f.name), 'the submit button', 20);
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(await page.getByRole('alert').count(), 0, 'no errors');
  const result = await page.locator('.results').innerText();
  assert.match(result, /minuti risparmiati per ogni giorno/);
  const minutes = Number(await page.locator('.results .stat-value').innerText());
  assert.ok(minutes > 0, `Corvetto to Bicocca by car, coworking at Scalo Romana: ${minutes} minutes saved`);
  assert.match(result, /CO₂ evitata/);
  // The factors and their sources stay on the page.
  assert.match(await mainText(page), /ISPRA/);
  assert.deepEqual(problems, []);
  await page.context().close();
});
