// Journey 2: forms with mistakes show an error summary that links to the fields, a message
// by each field, keep what was typed, and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems } from '../lib/browser.js';
import { logIn, fillOrganization, navigates, mainText, uniqueEmail } from '../lib/flows.js';

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

/** Submits the page's form with `button` and returns the HTTP status of the page shown. */
async function submit(page, button) {
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest());
  await navigates(page, () => button.click());
  return (await answer).status();
}

/** The summary's links as {href, text}. */
async function summaryLinks(page) {
  return page
    .getByRole('alert')
    .getByRole('link')
    .evaluateAll((links) => links.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
}

/** Asserts the field labelled `label` is marked invalid and described by `message`. */
async function assertFieldError(page, label, message) {
  const field = page.getByLabel(label);
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${label} should be aria-invalid`);
  const describedBy = await field.getAttribute('aria-describedby');
  assert.ok(describedBy, `${label} should point to its error with aria-describedby`);
  const descriptions = await page.evaluate(
    (ids) => ids.split(/\s+/).map((id) => document.getElementById(id)?.textContent.trim() ?? `(missing #${id})`),
    describedBy,
  );
  assert.ok(descriptions.includes(message), `${label} is described by ${JSON.stringify(descriptions)}, expected "${message}"`);
  // The message is shown next to the field, inside the same .field block.
  const block = page.locator('.field', { has: field }).last();
  assert.equal(await block.locator('.field-error').innerText(), message);
}

test('organisation form: wrong tax code and empty name', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);
  const user = { email: uniqueEmail('valeria'), password: 'una password lunga e buona' };
  await server.createUser({ ...user, role: 'worker', name: 'Valeria Verdi' });
  await logIn(page, server, user.email, user.password);

  await visit(page, server.url, '/organizzazioni/nuova');
  assert.equal(await page.getByRole('alert').count(), 0, 'no error summary before the first submit');
  const typed = {
    name: '',
    kind: 'company',
    taxCode: '12345678901',
    size: 'small',
    sector: 'Servizi "digitali" <b>web</b>',
    address: 'Corso Buenos Aires 1, Milano',
    lat: '45.4780',
    lon: '9.2100',
  };
  await fillOrganization(page, typed);
  const status = await submit(page, page.getByRole('button', { name: 'Registra', exact: true }));
  assert.equal(status, 422, 'a form with errors answers 422');
  assert.equal(new URL(page.url()).pathname, '/organizzazioni/nuova');

  // The summary: role=alert, a heading, one link per wrong field pointing at the field.
  const summary = page.getByRole('alert');
  assert.equal(await summary.count(), 1, 'one error summary');
  assert.equal(await summary.getByRole('heading').innerText(), 'Correggi questi errori');
  assert.deepEqual(await summaryLinks(page), [
    { href: '#f-name', text: "Nome dell'organizzazione: Campo obbligatorio." },
    { href: '#f-tax_code', text: 'Codice fiscale o partita IVA: Codice fiscale o partita IVA non valido: controlla le cifre.' },
  ]);
  for (const { href } of await summaryLinks(page)) {
    assert.equal(await page.locator(href).count(), 1, `summary link ${href} must point at an existing field`);
  }

  // Following a summary link puts the caret in that field.
  await summary.getByRole('link', { name: /^Codice fiscale/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-tax_code');

  // A message by each wrong field, tied to it for screen readers.
  await assertFieldError(page, "Nome dell'organizzazione", 'Campo obbligatorio.');
  await assertFieldError(page, 'Codice fiscale o partita IVA', 'Codice fiscale o partita IVA non valido: controlla le cifre.');
  assert.equal(await page.getByLabel('Indirizzo').getAttribute('aria-invalid'), null, 'a right field is not marked invalid');

  // What was typed is still there (and the HTML fragment is shown as text, not markup).
  assert.equal(await page.getByLabel('Tipo').inputValue(), typed.kind);
  assert.equal(await page.getByLabel('Codice fiscale o partita IVA').inputValue(), typed.taxCode);
  assert.equal(await page.getByLabel('Dimensione').inputValue(), typed.size);
  assert.equal(await page.getByLabel('Settore').inputValue(), typed.sector);
  assert.equal(await page.getByLabel('Indirizzo').inputValue(), typed.address);
  assert.equal(await page.getByLabel('Latitudine').inputValue(), typed.lat);
  assert.equal(await page.getByLabel('Longitudine').inputValue(), typed.lon);
  assert.equal(await page.locator('main b').count(), 0, 'typed HTML must not become markup');

  // Nothing was registered.
  await visit(page, server.url, '/area-personale');
  assert.match(await mainText(page), /Non rappresenti ancora nessuna organizzazione/);

  // Correcting the mistakes registers it.
  await visit(page, server.url, '/organizzazioni/nuova');
  await fillOrganization(page, { ...typed, name: 'Studio Porta Venezia', taxCode: '12345678903' });
  const fixed = await submit(page, page.getByRole('button', { name: 'Registra', exact: true }));
  assert.ok(fixed < 400, `the corrected form answered ${fixed}`);
  assert.match(new URL(page.url()).pathname, /^\/organizzazioni\/\d+\/adesione$/);

  assert.deepEqual(problems, []);
  await page.context().close();
});

test('sign-up form: empty submit lists every missing field and keeps the e-mail', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await visit(page, server.url, '/registrati');
  // "Worker" is the pre-selected account type, so the type is never missing.
  assert.equal(await page.getByLabel(/Lavoratore, lavoratrice/).isChecked(), true);
  await page.getByLabel('E-mail').fill('non-una-email');
  const status = await submit(page, page.getByRole('button', { name: "Crea l'account" }));
  assert.equal(status, 422);

  const links = await summaryLinks(page);
  assert.deepEqual(
    links.map((l) => l.href),
    ['#f-display_name', '#f-email', '#f-password'],
    `summary links: ${JSON.stringify(links)}`,
  );
  for (const { href } of links) {
    assert.equal(await page.locator(href).count(), 1, `summary link ${href} must point at an existing element`);
  }
  await assertFieldError(page, 'Nome e cognome', 'Campo obbligatorio.');
  await assertFieldError(page, 'E-mail', 'Inserisci un indirizzo e-mail valido, ad esempio nome@esempio.it.');
  await assertFieldError(page, 'Password', 'La password deve avere almeno 10 caratteri.');
  assert.equal(await page.getByLabel('E-mail').inputValue(), 'non-una-email');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'a password is never sent back');
  assert.deepEqual(problems, []);
  await page.context().close();
});
