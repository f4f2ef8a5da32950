// What a person does on the portal, step by step, through the real pages (Italian texts).
import assert from 'node:assert/strict';
import { confirmationLink } from './server.js';
import { visit } from './browser.js';

/**
 * Runs `action` (a click, an Enter key) and waits until the page it causes has loaded:
 * works for redirects and for forms that answer on the same address with errors.
 */
export async function navigates(page, action) {
  const committed = page.waitForEvent('framenavigated', {
    predicate: (frame) => frame === page.mainFrame(),
  });
  await action();
  await committed;
  await page.waitForLoadState('load');
}

/** The path and query of the page's current address. */
export function here(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/** Visible text of the page's main region. */
export async function mainText(page) {
  return page.locator('main').innerText();
}

let counter = 0;
/** An address nobody else in this run uses. */
export function uniqueEmail(who) {
  counter += 1;
  return `${who}.${process.pid}.${Date.now()}.${counter}@example.org`;
}

/**
 * Signs up as an organisation representative (or a worker), confirms the address with the
 * e-mailed link, and ends signed in on /area-personale.
 */
export async function signUp(page, server, { name, email, password, as = 'organization' }) {
  await visit(page, server.url, '/registrati');
  const choice = as === 'organization' ? /Referente di un'organizzazione/ : /Lavoratore, lavoratrice/;
  await page.getByLabel(choice).check();
  await page.getByLabel('Nome e cognome').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await navigates(page, () => page.getByRole('button', { name: "Crea l'account" }).click());
  assert.match(
    await page.locator('h1').innerText(),
    /Controlla la tua e-mail/,
    `sign-up did not reach the "check your e-mail" page; main says:\n${await mainText(page)}`,
  );
  assert.match(await mainText(page), new RegExp(email.replace(/[.+]/g, '\\$&')));

  const mail = await server.mailTo(email);
  assert.match(mail, /^Subject: Conferma il tuo indirizzo e-mail$/m);
  const link = confirmationLink(mail, server.url);
  await visit(page, server.url, link);
  assert.equal(new URL(page.url()).pathname, '/area-personale', `the confirmation link led to ${page.url()}`);
}

/** Signs in through /accedi with the mouse and ends on /area-personale. */
export async function logIn(page, server, email, password) {
  await visit(page, server.url, '/accedi');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await navigates(page, () => page.getByRole('button', { name: 'Accedi' }).click());
  assert.equal(
    new URL(page.url()).pathname,
    '/area-personale',
    `login as ${email} did not reach the personal area; main says:\n${await mainText(page)}`,
  );
}

/** Signs out with the button in the header. */
export async function logOut(page) {
  await navigates(page, () => page.getByRole('banner').getByRole('button', { name: 'Esci' }).click());
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.getByRole('banner').getByRole('link', { name: 'Accedi' }).count(), 1, 'still signed in after "Esci"');
}

/** Fills the organisation form with whatever fields are given (labels as shown in Italian). */
export async function fillOrganization(page, o) {
  if (o.name !== undefined) await page.getByLabel("Nome dell'organizzazione").fill(o.name);
  if (o.kind !== undefined) await page.getByLabel('Tipo').selectOption(o.kind);
  if (o.taxCode !== undefined) await page.getByLabel('Codice fiscale o partita IVA').fill(o.taxCode);
  if (o.size !== undefined) await page.getByLabel('Dimensione').selectOption(o.size);
  if (o.sector !== undefined) await page.getByLabel('Settore').fill(o.sector);
  if (o.address !== undefined) await page.getByLabel('Indirizzo').fill(o.address);
  if (o.lat !== undefined) await page.getByLabel('Latitudine').fill(o.lat);
  if (o.lon !== undefined) await page.getByLabel('Longitudine').fill(o.lon);
}

/** Registers an organisation; ends on its join page and returns its id. */
export async function registerOrganization(page, server, o) {
  await visit(page, server.url, '/area-personale');
  await navigates(page, () => page.getByRole('link', { name: "Registra un'organizzazione" }).click());
  assert.equal(new URL(page.url()).pathname, '/organizzazioni/nuova');
  await fillOrganization(page, o);
  await navigates(page, () => page.getByRole('button', { name: 'Registra', exact: true }).click());
  const m = new URL(page.url()).pathname.match(/^\/organizzazioni\/(\d+)\/adesione$/);
  assert.ok(m, `registering ${o.name} led to ${page.url()}; main says:\n${await mainText(page)}`);
  return Number(m[1]);
}

/** On the join page: picks action lines by their Italian names, writes a message, sends. */
export async function askToJoin(page, { lines, message }) {
  for (const line of lines) await page.getByLabel(line, { exact: true }).check();
  await page.getByLabel('Messaggio per il coordinamento').fill(message);
  await navigates(page, () => page.getByRole('button', { name: 'Invia la richiesta' }).click());
  assert.match(here(page), /^\/organizzazioni\/\d+\?richiesta=1$/, `asking to join led to ${page.url()}`);
}
