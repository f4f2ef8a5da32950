// Journey 6: coworking. A person searches, books a desk, gets the confirmation with its
// calendar file, finds it in "Le mie prenotazioni" and cancels it; a full pool puts a second
// person on the waitlist and a cancellation promotes them; a firm buys a credit pack, gives a
// credit to its employee, who books with it; an operator runs a space through the pages and a
// coordinator approves its offer. Every new page passes axe at desktop and phone sizes, and a
// booking can be made with the keyboard alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems, assertNoSidewaysScroll } from '../lib/browser.js';
import { assertAccessible } from '../lib/axe.js';
import { actorsOf, milanDay } from '../lib/actors.js';
import { logIn, navigates, mainText, here } from '../lib/flows.js';
import { describe, tabUntil } from '../lib/keyboard.js';

const PHONE = { width: 375, height: 667 };
const DUOMO = { address: 'Piazza del Duomo 1, Milano', lat: 45.4642, lon: 9.19 };
const EVERY_DAY = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, '00:00-24:00']));

let server;
let browser;
let person;
let api;
let organization;

/** The decoded subject of an e-mail (RFC 2047 `=?utf-8?B?...?=` when not plain ASCII). */
function subject(mail) {
  const raw = mail.match(/^Subject: (.*)$/m)?.[1]?.trim() ?? '';
  return raw.replace(/=\?utf-8\?B\?([^?]*)\?=/gi, (_, b64) => Buffer.from(b64, 'base64').toString('utf8'));
}

/** An operator organisation with a space open all day every day and the resources asked. */
async function operatorWithSpace(name, resources, extra = {}) {
  const op = await person('gestore');
  op.org = await organization(op, 'coworking_operator', `${name} Srl`, DUOMO);
  const space = await api(op, 'POST', '/api/v1/coworking/spaces', {
    organization_id: op.org, name, description_it: `Spazio ${name} in centro.`, description_en: `${name}, downtown.`,
    address: 'Via Torino 10, Milano', lat: 45.4620, lon: 9.1860, opening_hours: EVERY_DAY,
    amenities: ['wifi', 'step_free_access'], cancel_hours: 2, ...extra,
  }, 201);
  const ids = {};
  for (const r of resources) {
    const made = await api(op, 'POST', `/api/v1/coworking/spaces/${space.id}/resources`, { kind: 'open_desk', price_cents: 2000, ...r }, 201);
    ids[r.name] = made.id;
  }
  return { op, space, resources: ids };
}

/** The booking card of a resource on a space page. */
function card(page, name) {
  return page.locator('section.card', { has: page.getByRole('heading', { name, exact: true }) });
}

/** On the space page (already at the right date), books `resource` with the mouse. */
async function bookOnPage(page, resource, { period, credit = false, waitlist = false } = {}) {
  const c = card(page, resource);
  if (period) await c.getByLabel('Fascia').selectOption(period);
  if (credit) await c.getByLabel("Usa un credito dell'azienda").check();
  if (waitlist) await c.getByLabel("Se è tutto occupato, mettimi in lista d'attesa").check();
  await navigates(page, () => c.getByRole('button', { name: `Prenota – ${resource}` }).click());
}

before(async () => {
  server = await startServer();
  ({ person, api, organization } = actorsOf(server));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('search, book, confirmation with .ics, my bookings, cancel; a double submit books once', async () => {
  const { space } = await operatorWithSpace('Navigli Hub', [{ name: 'Sala grande', seats: 5 }]);
  const worker = await person('walter');
  const day = milanDay(2);
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await logIn(page, server, worker.email, worker.password);

  // Search from the navigation, by date and an amenity.
  await navigates(page, () => page.locator('nav.main-nav').getByRole('link', { name: 'Coworking', exact: true }).click());
  assert.equal(here(page), '/coworking');
  await page.getByLabel('Data', { exact: true }).fill(day);
  await page.getByLabel('Accesso senza gradini').check();
  await navigates(page, () => page.getByRole('button', { name: 'Cerca', exact: true }).click());
  assert.match(here(page), /^\/coworking\?/);
  const result = page.locator('ul.cw-results').getByRole('link', { name: 'Navigli Hub' });
  assert.equal(await result.count(), 1, `Navigli Hub should be found:\n${await mainText(page)}`);
  assert.match(await mainText(page), /5 posti liberi/);
  assert.equal(await page.locator('figure.map svg a', { hasText: 'Navigli Hub' }).getAttribute('href'), `/coworking/spazi/${space.id}`);
  // Within 15 minutes on foot of the Duomo (the filters above are kept): found with its
  // travel time, and the page passes axe.
  await page.getByLabel('Coordinate del punto').fill('45.4642, 9.19');
  await page.getByLabel('Raggiungibile in (minuti)').fill('15');
  await page.getByLabel('Come ti sposti').selectOption('walk');
  await navigates(page, () => page.getByRole('button', { name: 'Cerca', exact: true }).click());
  const timed = page.locator('ul.cw-results li', { has: page.getByRole('link', { name: 'Navigli Hub' }) });
  assert.match(await timed.innerText(), /\d+,\d min a piedi/);
  await assertAccessible(page, 'search by travel time');
  // A filter it does not meet drops it.
  await visit(page, server.url, `/coworking?date=${day}&amenity=kitchen`);
  assert.equal(await page.locator('ul.cw-results').getByRole('link', { name: 'Navigli Hub' }).count(), 0);
  await visit(page, server.url, `/coworking?date=${day}&amenity=step_free_access`);
  await navigates(page, () => page.locator('ul.cw-results').getByRole('link', { name: 'Navigli Hub' }).click());
  assert.equal(here(page), `/coworking/spazi/${space.id}`);

  // Availability for the day, then the booking.
  await page.locator('#f-date').fill(day);
  await navigates(page, () => page.getByRole('button', { name: 'Mostra disponibilità' }).click());
  assert.equal(await card(page, 'Sala grande').getByLabel('Data').inputValue(), day);
  const form = card(page, 'Sala grande').locator('form');
  const csrf = await form.locator('input[name=csrf]').inputValue();
  const resourceId = await form.locator('input[name=resource_id]').inputValue();
  await bookOnPage(page, 'Sala grande', { period: 'morning' });
  const m = here(page).match(/^\/coworking\/prenotazioni\/(\d+)\?nuova=1$/);
  assert.ok(m, `booking led to ${page.url()}:\n${await mainText(page)}`);
  const bookingId = m[1];
  assert.equal(await page.locator('h1').innerText(), 'Prenotazione confermata');
  const confirmation = await mainText(page);
  assert.match(confirmation, /Navigli Hub/);
  assert.match(confirmation, /Mattina/);
  assert.match(confirmation, /Puoi annullare fino al/);

  // The calendar file.
  const icsHref = await page.getByRole('link', { name: /Scarica l'evento per il calendario/ }).getAttribute('href');
  const ics = await page.request.get(new URL(icsHref, server.url).href);
  assert.equal(ics.status(), 200);
  assert.match(ics.headers()['content-type'], /^text\/calendar/);
  const icsText = await ics.text();
  assert.match(icsText, /BEGIN:VCALENDAR/);
  assert.match(icsText, /SUMMARY:Navigli Hub/);

  // The confirmation e-mail.
  const mail = await server.mailTo(worker.email);
  assert.equal(subject(mail), 'Prenotazione coworking confermata – Navigli Hub');

  // The same form sent again (a double click): refused as "already booked", nothing new.
  const again = await page.request.post(new URL(`/coworking/spazi/${space.id}/prenota`, server.url).href, {
    form: { csrf, resource_id: resourceId, date: day, period: 'morning' },
  });
  assert.equal(again.status(), 409);
  assert.match(await again.text(), /Hai già questa prenotazione/);
  // Without the anti-forgery token nothing happens either.
  const forged = await page.request.post(new URL(`/coworking/spazi/${space.id}/prenota`, server.url).href, {
    form: { resource_id: resourceId, date: day, period: 'afternoon' },
  });
  assert.equal(forged.status(), 403);

  // My bookings: exactly one upcoming booking; cancel it.
  await navigates(page, () => page.getByRole('link', { name: 'Le mie prenotazioni' }).click());
  assert.equal(here(page), '/coworking/prenotazioni');
  const upcoming = page.locator('section', { has: page.getByRole('heading', { name: 'Prossime prenotazioni' }) }).locator('tbody tr');
  assert.equal(await upcoming.count(), 1, await mainText(page));
  assert.match(await upcoming.innerText(), /Navigli Hub – Sala grande/);
  await navigates(page, () => upcoming.getByRole('button', { name: /^Annulla la prenotazione/ }).click());
  assert.equal(here(page), '/coworking/prenotazioni?annullata=1');
  assert.equal(await page.getByRole('status').first().innerText(), 'Prenotazione annullata.');
  assert.match(await mainText(page), /Nessuna prenotazione in programma/);
  const history = page.locator('section', { has: page.getByRole('heading', { name: 'Storico' }) });
  assert.match(await history.innerText(), /Navigli Hub – Sala grande[\s\S]*Annullata/);

  // The booking page of someone else is not found.
  const other = await person('olga');
  const stranger = await newPage(browser);
  await logIn(stranger, server, other.email, other.password);
  const res = await stranger.goto(new URL(`/coworking/prenotazioni/${bookingId}`, server.url).href);
  assert.equal(res.status(), 404);
  await stranger.context().close();

  assert.deepEqual(problems, []);
  await page.context().close();
});

test('a full pool offers the waitlist; a cancellation promotes the first in line', async () => {
  const { space } = await operatorWithSpace('Isola Desk', [{ name: 'Postazione singola', seats: 1 }]);
  const first = await person('anna');
  const second = await person('bruno');
  const day = milanDay(3);

  const a = await newPage(browser);
  const aProblems = watchProblems(a);
  await logIn(a, server, first.email, first.password);
  await visit(a, server.url, `/coworking/spazi/${space.id}?date=${day}`);
  await bookOnPage(a, 'Postazione singola');
  assert.match(here(a), /^\/coworking\/prenotazioni\/\d+\?nuova=1$/);

  const b = await newPage(browser);
  const bProblems = watchProblems(b);
  await logIn(b, server, second.email, second.password);
  await visit(b, server.url, `/coworking/spazi/${space.id}?date=${day}`);
  assert.match(await card(b, 'Postazione singola').innerText(), /Completo/);
  await bookOnPage(b, 'Postazione singola');
  assert.equal(await b.locator('h1').innerText(), 'Posti esauriti');
  assert.match(await mainText(b), /lista d'attesa/);
  await navigates(b, () => b.getByRole('button', { name: "Entra in lista d'attesa" }).click());
  assert.equal(here(b), '/coworking/prenotazioni?attesa=1');
  const waiting = b.locator('section', { has: b.getByRole('heading', { name: "Liste d'attesa" }) });
  assert.match(await waiting.innerText(), /Isola Desk[\s\S]*posizione 1 in lista/);
  assert.match(await mainText(b), /Nessuna prenotazione in programma/);

  // The first person cancels: the second is promoted and told by e-mail.
  await visit(a, server.url, '/coworking/prenotazioni');
  await navigates(a, () => a.getByRole('button', { name: /^Annulla la prenotazione – Isola Desk/ }).click());
  assert.equal(here(a), '/coworking/prenotazioni?annullata=1');

  await visit(b, server.url, '/coworking/prenotazioni');
  const upcoming = b.locator('section', { has: b.getByRole('heading', { name: 'Prossime prenotazioni' }) });
  assert.match(await upcoming.innerText(), /Isola Desk – Postazione singola/);
  assert.match(await waiting.innerText(), /Non sei in nessuna lista d'attesa/);
  const mail = await server.mailTo(second.email);
  assert.equal(subject(mail), 'Si è liberato un posto: prenotazione confermata – Isola Desk');

  assert.deepEqual(aProblems, []);
  assert.deepEqual(bProblems, []);
  await a.context().close();
  await b.context().close();
});

test("a firm buys a credit pack, gives a credit to its employee, who books with it; other firms are refused", async () => {
  const { op, space } = await operatorWithSpace('Bicocca Lab', [{ name: 'Open space', seats: 4 }]);
  const coordinator = await person('coordinatore', { role: 'coordinator' });
  const offer = await api(op, 'POST', `/api/v1/coworking/spaces/${space.id}/offers`, {
    kind: 'credit_pack', title: 'Dieci giornate', pack_days: 10, pack_price_cents: 15000, valid_until: milanDay(60),
  }, 201);
  await api(coordinator, 'POST', `/api/v1/coworking/offers/${offer.id}/approve`, {});

  const rep = await person('rebecca');
  const firm = await organization(rep, 'company', 'Officina Credito Srl', DUOMO);
  const employee = await person('elena', { role: 'worker', org: firm });
  const otherRep = await person('ottavio');
  const otherFirm = await organization(otherRep, 'company', 'Altra Impresa Srl', DUOMO);

  const page = await newPage(browser);
  const problems = watchProblems(page);
  await logIn(page, server, rep.email, rep.password);
  await visit(page, server.url, `/organizzazioni/${firm}/crediti`);
  await navigates(page, () => page.getByRole('button', { name: 'Acquista – Bicocca Lab: Dieci giornate' }).click());
  assert.equal(here(page), `/organizzazioni/${firm}/crediti?acquistato=1`);
  // A refused assignment keeps the choices and explains by the field.
  await page.locator('#f-pack_id').selectOption({ index: 1 });
  await page.locator('#f-user_id').selectOption({ label: employee.name });
  await page.locator('#f-count').fill('11');
  await navigates(page, () => page.getByRole('button', { name: 'Assegna', exact: true }).click());
  assert.equal(await page.locator('#error-summary').count(), 1, await mainText(page));
  assert.match(await mainText(page), /non restano abbastanza crediti/);
  assert.equal(await page.locator('#f-user_id').inputValue(), String(employee.id));
  await page.locator('#f-count').fill('1');
  await navigates(page, () => page.getByRole('button', { name: 'Assegna', exact: true }).click());
  assert.equal(here(page), `/organizzazioni/${firm}/crediti?assegnati=1`);

  // The employee books with the credit.
  const e = await newPage(browser);
  const eProblems = watchProblems(e);
  await logIn(e, server, employee.email, employee.password);
  await visit(e, server.url, `/coworking/spazi/${space.id}?date=${milanDay(4)}`);
  assert.match(await mainText(e), /Hai un credito da usare in questo spazio/);
  await bookOnPage(e, 'Open space', { credit: true });
  assert.match(here(e), /^\/coworking\/prenotazioni\/\d+\?nuova=1$/, await mainText(e));
  assert.match(await mainText(e), /pagata con un credito/);
  await visit(e, server.url, '/coworking/prenotazioni');
  assert.match(await mainText(e), /Nessun credito assegnato/);

  // The firm sees its staff's use.
  await visit(page, server.url, `/organizzazioni/${firm}/crediti`);
  const uses = page.locator('table', { has: page.locator('caption', { hasText: 'Crediti usati' }) });
  assert.match(await uses.innerText(), new RegExp(`${employee.name}[\\s\\S]*Bicocca Lab`));

  // Another firm's representative is refused, by page and by form.
  const o = await newPage(browser);
  await logIn(o, server, otherRep.email, otherRep.password);
  const res = await o.goto(new URL(`/organizzazioni/${firm}/crediti`, server.url).href);
  assert.equal(res.status(), 403);
  await visit(o, server.url, `/organizzazioni/${otherFirm}/crediti`);
  assert.doesNotMatch(await mainText(o), new RegExp(employee.name));
  await o.context().close();

  assert.deepEqual(problems, []);
  assert.deepEqual(eProblems, []);
  await page.context().close();
  await e.context().close();
});

test('an operator creates a space, a resource and an offer through the pages; the coordinator approves it; check-in and dashboard', async () => {
  const op = await person('oreste');
  const org = await organization(op, 'coworking_operator', 'Gestioni Porta Romana Srl', DUOMO);
  const coordinator = await person('cora', { role: 'coordinator' });
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await logIn(page, server, op.email, op.password);
  await visit(page, server.url, '/coworking');
  await navigates(page, () => page.getByRole('link', { name: 'Gestione spazi' }).click());
  await navigates(page, () => page.getByRole('link', { name: 'Nuovo spazio – Gestioni Porta Romana Srl' }).click());

  // A form with mistakes comes back with every value kept and a message by each field.
  await page.getByLabel('Nome dello spazio').fill('Porta Romana Cowork');
  await page.getByLabel('Indirizzo').fill('Corso di Porta Romana 100, Milano');
  await page.getByLabel('Latitudine').fill('45.4520');
  await page.getByLabel('Longitudine').fill('9.2050');
  await page.getByLabel('Giornata', { exact: true }).fill('venti');
  await navigates(page, () => page.getByRole('button', { name: 'Salva' }).click());
  assert.equal(await page.locator('#error-summary').count(), 1);
  assert.match(await page.locator('#error-summary').innerText(), /Giornata: Scrivi un importo in euro/);
  assert.equal(await page.getByLabel('Nome dello spazio').inputValue(), 'Porta Romana Cowork');
  for (const d of ['Lunedì', 'Martedì', 'Mercoledì', 'Giovedì', 'Venerdì', 'Sabato', 'Domenica']) {
    await page.getByLabel(d).fill('00:00-24:00');
  }
  await page.getByLabel('Giornata', { exact: true }).fill('18,50');
  await page.getByLabel('Wi-fi').check();
  await navigates(page, () => page.getByRole('button', { name: 'Salva' }).click());
  const m = here(page).match(/^\/coworking\/gestione\/spazi\/(\d+)$/);
  assert.ok(m, `creating the space led to ${page.url()}:\n${await mainText(page)}`);
  const spaceId = m[1];
  assert.match(await mainText(page), /Municipio \d/);

  // Edit: the form comes back filled in; a bad website is refused, then the change is saved.
  await navigates(page, () => page.getByRole('link', { name: 'Modifica i dati' }).click());
  assert.equal(await page.getByLabel('Nome dello spazio').inputValue(), 'Porta Romana Cowork');
  assert.equal(await page.getByLabel('Lunedì').inputValue(), '00:00-24:00');
  assert.equal(await page.getByLabel('Wi-fi').isChecked(), true);
  await page.getByLabel('Sito web').fill('porta romana');
  await navigates(page, () => page.getByRole('button', { name: 'Salva' }).click());
  assert.match(await page.locator('#error-summary').innerText(), /Sito web: Scrivi un indirizzo web/);
  await page.getByLabel('Sito web').fill('https://example.org/porta-romana');
  await page.getByLabel('Descrizione in italiano').fill('Luminoso, vicino alla metropolitana.');
  await navigates(page, () => page.getByRole('button', { name: 'Salva' }).click());
  assert.equal(here(page), `/coworking/gestione/spazi/${spaceId}?salvato=1`);
  assert.equal(await page.getByRole('status').first().innerText(), 'Dati dello spazio salvati.');

  await page.getByLabel('Tipo di risorsa').selectOption('open_desk');
  await page.getByLabel('Nome della risorsa').fill('Open space');
  await page.getByLabel(/^Posti/).fill('6');
  await page.getByLabel(/^Prezzo \(euro: giornata/).fill('18,50');
  await navigates(page, () => page.getByRole('button', { name: 'Aggiungi una risorsa' }).click());
  assert.equal(here(page), `/coworking/gestione/spazi/${spaceId}?risorsa=1`);

  await page.getByLabel('Tipo di convenzione').selectOption('discount');
  await page.getByLabel('Titolo').fill('Sconto alleanza');
  await page.getByLabel('Sconto (%)').fill('20');
  await navigates(page, () => page.getByRole('button', { name: 'Proponi' }).click());
  assert.equal(here(page), `/coworking/gestione/spazi/${spaceId}?offerta=1`);
  assert.match(await mainText(page), /Sconto alleanza[\s\S]*In attesa di approvazione/);

  // The coordinator approves it; the badge shows in search.
  const c = await newPage(browser);
  const cProblems = watchProblems(c);
  await logIn(c, server, coordinator.email, coordinator.password);
  await visit(c, server.url, '/coordinamento/convenzioni');
  await navigates(c, () => c.getByRole('button', { name: 'Approva – Sconto alleanza' }).click());
  assert.match(await mainText(c), /Convenzione approvata/);
  await visit(c, server.url, '/coworking?offers=1');
  const hit = c.locator('ul.cw-results li', { has: c.getByRole('link', { name: 'Porta Romana Cowork' }) });
  assert.match(await hit.innerText(), /Convenzione/);
  assert.deepEqual(cProblems, []);
  await c.context().close();

  // A booking for today, checked in on the day list, counted in the dashboard.
  const w = await person('wanda');
  const b = await api(w, 'POST', '/api/v1/coworking/bookings', { resource_id: (await api(op, 'GET', `/api/v1/coworking/spaces/${spaceId}`)).resources[0].id, date: milanDay(0), period: 'full_day' }, 201);
  assert.equal(b.status, 'confirmed');
  await visit(page, server.url, `/coworking/gestione/spazi/${spaceId}/oggi`);
  const row = page.locator('tbody tr', { hasText: w.name });
  await navigates(page, () => row.getByRole('button', { name: new RegExp(`^Presente – ${w.name}`) }).click());
  assert.match(await page.locator('tbody tr', { hasText: w.name }).innerText(), /Presente/);
  await visit(page, server.url, `/coworking/gestione/spazi/${spaceId}/cruscotto`);
  assert.equal(await page.locator('figure svg rect.chart-bar').count() > 0, true);
  assert.match(await mainText(page), /18,50 €/, 'revenue at list price');
  const csv = await page.request.get(new URL(await page.getByRole('link', { name: 'Scarica i dati in CSV' }).getAttribute('href'), server.url).href);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /^date,bookings,attended/);

  assert.deepEqual(problems, []);
  await page.context().close();
});

test('keyboard only: book a desk with Tab and Enter', async () => {
  const { space } = await operatorWithSpace('Tastiera Cowork', [{ name: 'Banco comune', seats: 3 }]);
  const k = await person('katia');
  const page = await newPage(browser);
  await logIn(page, server, k.email, k.password);
  await visit(page, server.url, `/coworking/spazi/${space.id}?date=${milanDay(5)}`);
  const f = await tabUntil(page, (x) => x.tag === 'button' && x.name.startsWith('Prenota'), 'the "Prenota" button', 80);
  assert.match(f.name, /Prenota/, describe(f));
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.match(here(page), /^\/coworking\/prenotazioni\/\d+\?nuova=1$/);
  const conf = await tabUntil(page, (x) => x.tag === 'button' && x.name === 'Annulla la prenotazione', 'the cancel button', 80);
  assert.ok(conf);
  await page.context().close();
});

test('axe: every coworking page, desktop and phone', async (t) => {
  const { op, space } = await operatorWithSpace('Accessibile Cowork', [{ name: 'Sala unica', seats: 1 }, { name: 'Sala riunioni', kind: 'meeting_room', seats: 8, price_cents: 3000 }]);
  const coordinator = await person('cesira', { role: 'coordinator' });
  await api(op, 'POST', `/api/v1/coworking/spaces/${space.id}/offers`, { kind: 'discount', title: 'Sconto prova', discount_percent: 10 }, 201);
  const rep = await person('ruggero');
  const firm = await organization(rep, 'company', 'Impresa Accessibile Srl', DUOMO);
  const holder = await person('ilaria');
  const day = milanDay(2);
  const mine = await api(holder, 'POST', '/api/v1/coworking/bookings', { resource_id: (await api(op, 'GET', `/api/v1/coworking/spaces/${space.id}`)).resources.find((r) => r.kind === 'open_desk').id, date: day, period: 'full_day' }, 201);

  const pages = [
    [null, ['/coworking', `/coworking?date=${day}&near_nil=1&radius=5&amenity=wifi`, '/coworking?date=ieri&near=nord', `/coworking/spazi/${space.id}`]],
    [holder, ['/coworking/prenotazioni', `/coworking/prenotazioni/${mine.id}`, `/coworking/spazi/${space.id}?date=${day}`]],
    [rep, [`/organizzazioni/${firm}/crediti`]],
    [op, ['/coworking/gestione', `/coworking/gestione/spazi/nuovo?org=${op.org}`, `/coworking/gestione/spazi/${space.id}`,
      `/coworking/gestione/spazi/${space.id}/modifica`, `/coworking/gestione/spazi/${space.id}/oggi`, `/coworking/gestione/spazi/${space.id}/cruscotto`]],
    [coordinator, ['/coordinamento/convenzioni']],
  ];
  for (const viewport of [undefined, PHONE]) {
    const size = viewport ? 'phone' : 'desktop';
    for (const [who, paths] of pages) {
      const page = await newPage(browser, { viewport });
      const problems = watchProblems(page);
      if (who) await logIn(page, server, who.email, who.password);
      for (const path of paths) {
        await t.test(`${path} (${size})`, async () => {
          const res = await page.goto(new URL(path, server.url).href);
          assert.ok([200, 422].includes(res.status()), `${path} answered ${res.status()}`);
          assert.deepEqual(problems.splice(0), []);
          await assertAccessible(page, `${path} [${size}]`);
          if (viewport) await assertNoSidewaysScroll(page, path);
        });
      }
      if (who === holder) {
        // The "full" answer and a refused booking form, as a second person would see them.
        await t.test(`booking problems (${size})`, async () => {
          const second = await newPage(browser, { viewport });
          const p2 = await person('secondo');
          await logIn(second, server, p2.email, p2.password);
          await visit(second, server.url, `/coworking/spazi/${space.id}?date=${day}`);
          await bookOnPage(second, 'Sala unica');
          assert.equal(await second.locator('h1').innerText(), 'Posti esauriti');
          await assertAccessible(second, `full [${size}]`);
          await visit(second, server.url, `/coworking/spazi/${space.id}?date=${day}`);
          await card(second, 'Sala unica').getByLabel('Data').fill(milanDay(-1));
          await navigates(second, () => card(second, 'Sala unica').getByRole('button', { name: /^Prenota/ }).click());
          assert.equal(await second.locator('#error-summary').count(), 1, await mainText(second));
          assert.match(await second.locator('#error-summary').innerText(), /già passata/);
          await assertAccessible(second, `refused booking [${size}]`);
          await second.context().close();
        });
      }
      await page.context().close();
    }
  }
});

test('a meeting room is booked by the hour; a closed day and a date beyond the horizon are refused by the field', async () => {
  const closed = milanDay(3);
  const { space } = await operatorWithSpace('Sale Centrali', [
    { name: 'Sala Brera', kind: 'meeting_room', seats: 1, price_cents: 3000 },
    { name: 'Banchi', seats: 2 },
  ], { closures: [closed], horizon_days: 10 });
  const w = await person('ugo');
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await logIn(page, server, w.email, w.password);

  await visit(page, server.url, `/coworking/spazi/${space.id}?date=${milanDay(2)}`);
  const room = card(page, 'Sala Brera');
  await room.getByLabel(/^Ora/).selectOption({ label: '10:00–11:00' });
  await navigates(page, () => room.getByRole('button', { name: 'Prenota – Sala Brera' }).click());
  assert.match(here(page), /^\/coworking\/prenotazioni\/\d+\?nuova=1$/, await mainText(page));
  assert.match(await mainText(page), /10:00–11:00/);
  assert.match(await mainText(page), /30,00 €/);

  // A closed day: the same page again, 422, the message by the date and in the summary.
  await visit(page, server.url, `/coworking/spazi/${space.id}?date=${milanDay(2)}`);
  await card(page, 'Banchi').getByLabel('Data').fill(closed);
  const res = page.waitForResponse((r) => r.request().method() === 'POST');
  await navigates(page, () => card(page, 'Banchi').getByRole('button', { name: 'Prenota – Banchi' }).click());
  assert.equal((await res).status(), 422);
  assert.match(await page.locator('#error-summary').innerText(), /Data: In questo giorno lo spazio è chiuso/);
  assert.equal(await card(page, 'Banchi').getByLabel('Data').inputValue(), closed, 'the date typed is kept');
  assert.equal(await card(page, 'Banchi').getByLabel('Data').getAttribute('aria-invalid'), 'true');

  // Beyond the booking horizon.
  await card(page, 'Banchi').getByLabel('Data').fill(milanDay(40));
  await navigates(page, () => card(page, 'Banchi').getByRole('button', { name: 'Prenota – Banchi' }).click());
  assert.match(await page.locator('#error-summary').innerText(), /non sono ancora aperte/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('the coworking pages in English', async () => {
  const { space } = await operatorWithSpace('English Corner', [{ name: 'Hot desks', seats: 2 }]);
  const page = await newPage(browser);
  await page.context().addCookies([{ name: 'mire_lang', value: 'en', url: server.url }]);
  const problems = watchProblems(page);
  for (const path of ['/coworking', `/coworking/spazi/${space.id}`]) {
    await visit(page, server.url, path);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    const text = await mainText(page);
    assert.doesNotMatch(text, /\b(cw|field|amenity|period|weekday)-[a-z]/, `${path} shows a message id:\n${text}`);
    await assertAccessible(page, `${path} [en]`);
  }
  await visit(page, server.url, '/coworking');
  assert.equal(await page.locator('h1').innerText(), 'Find a coworking space');
  await visit(page, server.url, `/coworking/spazi/${space.id}`);
  assert.match(await mainText(page), /Step-free access/);
  assert.match(await mainText(page), /English Corner, downtown\./);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('booking asks a signed-out person to log in and brings them back; past the deadline there is no cancel button', async () => {
  const { space } = await operatorWithSpace('Scadenza Lunga', [{ name: 'Tavolo', seats: 2 }], { cancel_hours: 168 });
  const g = await person('gina');
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await visit(page, server.url, `/coworking/spazi/${space.id}`);
  assert.equal(await page.getByRole('button', { name: /^Prenota/ }).count(), 0, 'no booking form before login');
  await navigates(page, () => page.getByRole('link', { name: 'Accedi per prenotare' }).click());
  await page.getByLabel('E-mail').fill(g.email);
  await page.getByLabel('Password').fill(g.password);
  await navigates(page, () => page.getByRole('button', { name: 'Accedi' }).click());
  assert.equal(here(page), `/coworking/spazi/${space.id}`, 'login leads back to the space');

  await card(page, 'Tavolo').getByLabel('Data').fill(milanDay(2));
  await bookOnPage(page, 'Tavolo');
  assert.match(here(page), /^\/coworking\/prenotazioni\/\d+\?nuova=1$/);
  assert.equal(await page.getByRole('button', { name: 'Annulla la prenotazione' }).count(), 0);
  assert.match(await mainText(page), /Non è più possibile annullare: il termine è scaduto il/);
  await visit(page, server.url, '/coworking/prenotazioni');
  const row = page.locator('tbody tr', { hasText: 'Scadenza Lunga' });
  assert.equal(await row.getByRole('button').count(), 0);
  assert.match(await row.innerText(), /Non è più possibile annullare/);
  assert.deepEqual(problems, []);
  await page.context().close();
});
