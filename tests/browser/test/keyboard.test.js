// Journey 4: a keyboard-only pass. The skip link comes first and moves focus to the main
// content; a person logs in and out with Tab, typing and Enter; every interactive element of
// the home page and the directory shows a visible focus indicator. No clicks anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.js';
import { launchBrowser, newPage, visit, watchProblems } from '../lib/browser.js';
import { navigates, here, uniqueEmail } from '../lib/flows.js';
import { focused, describe, tabUntil, expectedTabStops, tabThrough, hasVisibleOutline, contrast } from '../lib/keyboard.js';

let server;
let browser;
const user = { email: uniqueEmail('tastiera'), password: 'solo con la tastiera 42', name: 'Teresa Tastiera' };

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  await server.createUser({ ...user, role: 'worker' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('Tab reaches the skip link first; Enter on it moves focus to the main content', async () => {
  const page = await newPage(browser);
  for (const path of ['/', '/membri', '/accedi']) {
    await visit(page, server.url, path);
    await page.keyboard.press('Tab');
    const first = await focused(page);
    assert.ok(first, `${path}: the first Tab focused nothing`);
    assert.equal(first.href, '#main', `${path}: the first Tab reached ${describe(first)}, not the skip link`);
    assert.equal(first.name, 'Vai al contenuto principale');
    assert.ok(first.inViewport, `${path}: the focused skip link must be on screen`);
    assert.ok(hasVisibleOutline(first), `${path}: the focused skip link has no visible outline`);

    await page.keyboard.press('Enter');
    const target = await page.evaluate(() => document.activeElement?.id);
    assert.equal(target, 'main', `${path}: after Enter on the skip link focus is on #${target}, not on main`);
    // The next Tab continues inside main, not back in the header.
    await page.keyboard.press('Tab');
    const next = await page.evaluate(() => !!document.activeElement?.closest('main'));
    assert.ok(next, `${path}: Tab after the skip link went to ${describe(await focused(page))}, outside main`);
  }
  await page.context().close();
});

test('log in and out with the keyboard only', async () => {
  const page = await newPage(browser);
  const problems = watchProblems(page);
  await visit(page, server.url, '/');

  const login = await tabUntil(page, (f) => f.tag === 'a' && f.href === '/accedi', 'the "Accedi" link');
  assert.equal(login.name, 'Accedi');
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(here(page), '/accedi');

  await tabUntil(page, (f) => f.id === 'f-email', 'the e-mail field');
  await page.keyboard.type(user.email);
  await page.keyboard.press('Tab');
  assert.equal((await focused(page))?.id, 'f-password', 'Tab from the e-mail field goes to the password');
  await page.keyboard.type(user.password);
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).pathname, '/area-personale', `keyboard login ended on ${page.url()}`);
  assert.equal(await page.getByRole('banner').getByRole('link', { name: user.name }).count(), 1);

  // Every stop on the signed-in home page shows its focus too (the header has other controls).
  await visit(page, server.url, '/');
  await assertEveryStopHasFocusIndicator(page, '/ (signed in)');

  await visit(page, server.url, '/');
  const logout = await tabUntil(page, (f) => f.tag === 'button' && f.name === 'Esci', 'the "Esci" button');
  assert.ok(hasVisibleOutline(logout));
  await navigates(page, () => page.keyboard.press('Enter'));
  assert.equal(here(page), '/');
  assert.equal(await page.getByRole('banner').getByRole('link', { name: 'Accedi' }).count(), 1, 'signed out');
  assert.deepEqual(problems, []);
  await page.context().close();
});

/** Tabs through the page from its top; each element must be reached and show its focus. */
async function assertEveryStopHasFocusIndicator(page, label) {
  const expected = await expectedTabStops(page);
  assert.ok(expected.length > 5, `${label}: suspiciously few interactive elements (${expected.length})`);
  const stops = await tabThrough(page, expected.length + 10);

  const reached = new Set(stops.map((s) => s.index));
  const missed = expected.filter((_, i) => !reached.has(i));
  assert.deepEqual(missed, [], `${label}: Tab never reached:\n  ${missed.join('\n  ')}`);
  const order = stops.map((s) => s.index).filter((i) => i >= 0);
  assert.deepEqual(order, [...order].sort((a, b) => a - b), `${label}: focus order differs from reading order`);

  const invisible = stops.filter((s) => !hasVisibleOutline(s));
  assert.deepEqual(
    invisible.map((s) => `${describe(s)} outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`),
    [],
    `${label}: elements without a visible focus indicator`,
  );
  return stops;
}

for (const path of ['/', '/membri', '/membri?kind=public_body']) {
  test(`every interactive element on ${path} shows a visible focus indicator`, async () => {
    const page = await newPage(browser);
    await visit(page, server.url, path);
    const stops = await assertEveryStopHasFocusIndicator(page, path);
    // The pass went through the header, the content and the footer.
    assert.ok(stops.some((s) => s.href === '/membri'), 'the navigation was reached');
    assert.ok(stops.some((s) => s.href === '/health'), 'the footer was reached');
    if (path.startsWith('/membri')) {
      assert.ok(stops.some((s) => s.tag === 'select'), 'the filters were reached');
      assert.ok(
        stops.some((s) => s.tag === 'a' && /^\/organizzazioni\/\d+$/.test(s.href ?? '')),
        'a member link was reached',
      );
    }
    await page.context().close();
  });
}

// WCAG 2.1 SC 1.4.11 (non-text contrast): a focus indicator needs 3:1 against what it is
// drawn on, or it is visible only in theory.
for (const path of ['/', '/membri']) {
  test(`focus indicators on ${path} contrast at least 3:1 with the background`, async () => {
    const page = await newPage(browser);
    await visit(page, server.url, path);
    const expected = await expectedTabStops(page);
    const stops = await tabThrough(page, expected.length + 10);
    assert.ok(stops.length >= expected.length, `${path}: the pass reached ${stops.length} of ${expected.length} stops`);
    const faint = stops
      .map((s) => ({ s, ratio: contrast(s.outlineColor, s.backdrop) }))
      .filter(({ ratio }) => ratio < 3)
      .map(({ s, ratio }) => `${describe(s)}: outline ${s.outlineColor} on ${s.backdrop} = ${ratio.toFixed(2)}:1`);
    assert.deepEqual(faint, [], `${path}: focus indicators below 3:1 against their background`);
    await page.context().close();
  });
}
