// Keyboard-only helpers: everything here moves focus with key presses, never with clicks.
import assert from 'node:assert/strict';

/** A short description of the focused element, with what a focus check needs. */
export async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length > 0 ? el.labels[0].textContent : '';
    const name = (el.getAttribute('aria-label') || label || el.textContent || el.getAttribute('value') || '')
      .replace(/\s+/g, ' ')
      .trim();
    const rect = el.getBoundingClientRect();
    // The outline is drawn around the element, over whatever is painted there: take the
    // element found in the middle of the outline's top edge (bottom edge when the top is off
    // screen), and the first opaque background colour from it upwards (white otherwise).
    const gap = (parseFloat(style.outlineOffset) || 0) + (parseFloat(style.outlineWidth) || 0) / 2;
    const x = Math.min(Math.max(rect.left + rect.width / 2, 0), innerWidth - 1);
    const top = rect.top - gap;
    const y = top >= 0 ? top : rect.bottom + gap;
    const under =
      document.elementsFromPoint(x, Math.min(y, innerHeight - 1)).find((e) => e !== el && !el.contains(e)) ??
      el.parentElement;
    let backdrop = 'rgb(255, 255, 255)';
    for (let a = under; a; a = a.parentElement) {
      const bg = getComputedStyle(a).backgroundColor;
      if (bg && bg !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(bg)) {
        backdrop = bg;
        break;
      }
    }
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id || null,
      cls: el.getAttribute('class'),
      href: el.getAttribute('href'),
      type: el.getAttribute('type'),
      name: name.slice(0, 80),
      index: (window.__mireTabbables ?? []).indexOf(el),
      outlineStyle: style.outlineStyle,
      outlineWidth: style.outlineWidth,
      outlineColor: style.outlineColor,
      backdrop,
      inViewport: rect.right > 0 && rect.bottom > 0 && rect.left < innerWidth && rect.top < innerHeight,
    };
  });
}

/** How a focused element is named in failure messages. */
export function describe(f) {
  if (!f) return '(nothing: focus on the document)';
  const where = f.id ? `#${f.id}` : f.href ? `[href="${f.href}"]` : f.cls ? `.${f.cls.split(' ')[0]}` : '';
  return `<${f.tag}${f.type ? ` type=${f.type}` : ''}>${where} "${f.name}"`;
}

/** Presses Tab until `wanted(focusedElement)` holds; fails after `max` presses. */
export async function tabUntil(page, wanted, what, max = 60) {
  const seen = [];
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && wanted(f)) return f;
    seen.push(describe(f));
  }
  assert.fail(`Tab never reached ${what} in ${max} presses; focus went through:\n  ${seen.join('\n  ')}`);
}

/**
 * Records, in the page, every element that sequential keyboard navigation should reach, in
 * document order; returns their descriptions.
 */
export async function expectedTabStops(page) {
  return page.evaluate(() => {
    const selector = [
      'a[href]', 'area[href]', 'button', 'input', 'select', 'textarea', 'summary', 'iframe',
      '[tabindex]', '[contenteditable=""]', '[contenteditable="true"]',
    ].join(',');
    const shown = (el) => {
      if (el.closest('[hidden], [inert]')) return false;
      const s = getComputedStyle(el);
      return el.getClientRects().length > 0 && s.visibility !== 'hidden' && s.display !== 'none';
    };
    const list = [...document.querySelectorAll(selector)].filter(
      (el) => !el.disabled && el.getAttribute('type') !== 'hidden' && el.tabIndex >= 0 && shown(el),
    );
    window.__mireTabbables = list;
    return list.map((el) => `<${el.tagName.toLowerCase()}> ${(el.getAttribute('href') ?? el.id ?? '')} "${(el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60)}"`);
  });
}

/**
 * From a fresh load of the current page, Tabs through the whole page and returns each stop.
 * Ends when focus leaves the page or comes back to an element already visited.
 */
export async function tabThrough(page, limit) {
  const stops = [];
  const seen = new Set();
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (!f) break;
    const key = f.index >= 0 ? `i${f.index}` : describe(f);
    if (seen.has(key)) break;
    seen.add(key);
    stops.push(f);
  }
  return stops;
}

/** True when the computed outline would draw something. */
export function hasVisibleOutline(f) {
  return (
    f.outlineStyle !== 'none' &&
    f.outlineStyle !== 'hidden' &&
    parseFloat(f.outlineWidth) > 0 &&
    !/^rgba\(.*,\s*0\)$/.test(f.outlineColor) &&
    f.outlineColor !== 'transparent'
  );
}

/** WCAG relative luminance of an `rgb(...)`/`rgba(...)` colour. */
function luminance(css) {
  const m = css.match(/rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/);
  if (!m) throw new Error(`cannot read the colour ${css}`);
  const [r, g, b] = m.slice(1, 4).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Contrast ratio of two CSS colours (1 to 21). */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
