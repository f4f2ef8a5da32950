// Coworking demand meets supply: a firm asks for desks near a neighbourhood (a refused form
// first), an operator whose space is within reach answers it with an alliance offer, the firm
// reads the answer (and its e-mail), and the coordination sees seats offered against seats
// asked on the table and map. The new pages pass axe at desktop and phone sizes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems, assertNoSidewaysScroll } from '../lib/browser.js';
import { assertAccessible } from '../lib/axe.js';
import { actorsOf, milanDay } from '../lib/actors.js';
import { logIn, navigates, mainText, here } from '../lib/flows.js';

const PHONE = { width: 375, height: 667 };
const CORVETTO = { address: 'Piazzale Corvetto, Milano', lat: 45.439, lon: 9.224, nil: '35' };
const EVERY_DAY = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, '08:00-20:00']));

let server;
let browser;
let person;
let api;
let organization;

let firm;
let operator;
let coordinator;
let space;
let demandId;

before(async () => {
  server = await startServer();
  ({ person, api, organization } = actorsOf(server));
  browser = await launchBrowser();
  operator = await person('gestore');
  operator.org = await organization(operator, 'coworking_operator', 'Corvetto Lavora Srl', CORVETTO);
  space = await api(operator, 'POST', '/api/v1/coworking/spaces', {
    organization_id: operator.org, name: 'Corvetto Lavora', description_it: 'Open space al Corvetto.',
    address: 'Piazzale Corvetto 1, Milano', lat: CORVETTO.lat, lon: CORVETTO.lon, opening_hours: EVERY_DAY,
    amenities: ['wifi'],
  }, 201);
  await api(operator, 'POST', `/api/v1/coworking/spaces/${space.id}/resources`, { kind: 'open_desk', name: 'Open space', seats: 12, price_cents: 1800 }, 201);
  const offer = await api(operator, 'POST', `/api/v1/coworking/spaces/${space.id}/offers`, { kind: 'discount', title: 'Sconto alleanza', discount_percent: 20 }, 201);
  coordinator = await person('cecilia', { role: 'coordinator' });
  await api(coordinator, 'POST', `/api/v1/coworking/offers/${offer.id}/approve`, {}, 200);
  firm = await person('federico');
  firm.org = await organization(firm, 'company', 'Impresa Domanda Srl', CORVETTO);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a firm asks for desks, an operator in reach answers, the firm reads the answer', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await logIn(page, server, firm.email, firm.password);

  // From "Le mie prenotazioni" to the demand form.
  await visit(page, server.url, '/coworking/prenotazioni');
  await navigates(page, () => page.getByRole('link', { name: 'Chiedi postazioni' }).click());
  assert.equal(here(page), '/coworking/domanda');

  // Too many desks and no weekday: refused, with the summary and what was typed kept.
  await page.getByLabel('Per chi').selectOption(String(firm.org));
  await page.locator('#f-desks').fill('600');
  for (const day of ['Lunedì', 'Martedì', 'Mercoledì', 'Giovedì', 'Venerdì']) {
    await page.getByLabel(day).uncheck();
  }
  await page.locator('#f-from_date').fill(milanDay(5));
  await page.getByLabel('Quartiere (NIL)').selectOption(CORVETTO.nil);
  await page.getByLabel('Note').fill('Luce naturale, per favore');
  await navigates(page, () => page.getByRole('button', { name: 'Pubblica la domanda' }).click());
  const summary = page.locator('#error-summary');
  assert.equal(await summary.count(), 1, await mainText(page));
  assert.match(await summary.innerText(), /Postazioni/);
  assert.match(await summary.innerText(), /Giorni della settimana/);
  assert.equal(await page.locator('#f-desks').inputValue(), '600');
  assert.equal(await page.getByLabel('Note').inputValue(), 'Luce naturale, per favore');
  assert.equal(await page.locator('#f-desks').getAttribute('aria-invalid'), 'true');
  await assertAccessible(page, 'demand form with errors');

  // Corrected, it is posted.
  await page.locator('#f-desks').fill('4');
  await page.getByLabel('Lunedì').check();
  await page.getByLabel('Giovedì').check();
  await page.getByLabel(/^Budget/).fill('20');
  await navigates(page, () => page.getByRole('button', { name: 'Pubblica la domanda' }).click());
  const m = here(page).match(/^\/coworking\/domanda\/(\d+)\?pubblicata=1$/);
  assert.ok(m, `posting led to ${page.url()}:\n${await mainText(page)}`);
  demandId = m[1];
  const detail = await mainText(page);
  assert.match(detail, /4 postazioni/);
  assert.match(detail, /Lunedì, Giovedì/);
  assert.match(detail, /CORVETTO \(4\)/);
  assert.match(detail, /Nessuna risposta per ora/);

  // The operator finds it from the management page and answers with the offer.
  const op = await newPage(browser);
  const opProblems = watchProblems(op);
  await logIn(op, server, operator.email, operator.password);
  await visit(op, server.url, '/coworking/gestione');
  await navigates(op, () => op.getByRole('link', { name: /^Domanda di postazioni raggiungibile/ }).click());
  assert.equal(here(op), `/coworking/gestione/domanda?org=${operator.org}`);
  const card = op.locator('section.card', { has: op.getByRole('heading', { name: /4 postazioni · Impresa Domanda Srl/ }) });
  assert.equal(await card.count(), 1, await mainText(op));
  assert.match(await card.innerText(), /CORVETTO: \d+ min con i mezzi pubblici da Corvetto Lavora/);
  const offerLabel = await card.getByLabel('Convenzione').locator('option', { hasText: 'Sconto alleanza' }).innerText();
  await card.getByLabel('Convenzione').selectOption({ label: offerLabel });
  await card.getByLabel(/^Messaggio per chi ha chiesto/).fill('Abbiamo 12 postazioni a due passi dalla metro.');
  await navigates(op, () => card.getByRole('button', { name: /^Rispondi/ }).click());
  assert.match(here(op), /risposta=1/);
  assert.match(await op.getByRole('status').first().innerText(), /Risposta inviata/);
  assert.match(await card.innerText(), /Già risposto da: Corvetto Lavora/);
  await assertAccessible(op, 'operator demand page');

  // The firm sees the answer, with a link to the space and the offer's terms, and the e-mail.
  await visit(page, server.url, `/coworking/domanda/${demandId}`);
  const answers = page.locator('section', { has: page.getByRole('heading', { name: 'Risposte degli spazi' }) });
  assert.match(await answers.innerText(), /Abbiamo 12 postazioni a due passi dalla metro/);
  assert.match(await answers.innerText(), /20% di sconto|20 ?%/);
  assert.equal(await answers.getByRole('link', { name: 'Corvetto Lavora' }).getAttribute('href'), `/coworking/spazi/${space.id}`);
  const mail = await server.mailTo(firm.email);
  assert.match(mail, new RegExp(`/coworking/domanda/${demandId}`));
  assert.match(mail, /Corvetto Lavora/);
  await assertAccessible(page, 'demand with an answer');

  // The coordination sees it on the table and on the map.
  const co = await newPage(browser);
  const coProblems = watchProblems(co);
  await logIn(co, server, coordinator.email, coordinator.password);
  await visit(co, server.url, '/coordinamento/convenzioni');
  await navigates(co, () => co.getByRole('link', { name: 'Offerta e domanda di coworking per quartiere' }).click());
  const row = co.locator('tbody tr', { has: co.getByRole('rowheader', { name: 'CORVETTO' }) });
  assert.match((await row.innerText()).replace(/\s+/g, ' '), /CORVETTO \d+ 12 4 -8/);
  assert.equal(await co.locator('figure.map svg').count(), 1);
  await assertAccessible(co, 'supply and demand');

  assert.deepEqual([...problems, ...opProblems, ...coProblems], []);
  await Promise.all([page, op, co].map((p) => p.context().close()));
});

test('axe: the demand pages at desktop and phone sizes', async (t) => {
  assert.ok(demandId, 'the journey above posts the demand');
  const pages = [
    [firm, ['/coworking/domanda', `/coworking/domanda/${demandId}`]],
    [operator, [`/coworking/gestione/domanda?org=${operator.org}`, `/coworking/gestione/domanda?org=${operator.org}&minuti=2`]],
    [coordinator, ['/coordinamento/coworking/domanda-offerta']],
  ];
  for (const viewport of [undefined, PHONE]) {
    const size = viewport ? 'phone' : 'desktop';
    for (const [who, paths] of pages) {
      const page = await newPage(browser, { viewport });
      const problems = watchProblems(page);
      await logIn(page, server, who.email, who.password);
      for (const path of paths) {
        await t.test(`${path} (${size})`, async () => {
          const res = await page.goto(new URL(path, server.url).href);
          assert.ok([200, 422].includes(res.status()), `${path} answered ${res.status()}`);
          assert.deepEqual(problems.splice(0), []);
          await assertAccessible(page, `${path} [${size}]`);
          if (viewport) await assertNoSidewaysScroll(page, path);
        });
      }
      await page.context().close();
    }
  }
});
