/*
 * The page's policy (style-src 'self') refuses <style> elements made by
 * script, and xterm.js writes the CSS it computes (cell sizes, colours)
 * into such elements.  Their text is mirrored here into constructed
 * style sheets, which the policy allows: nothing else is let through.
 */

const sheets = new Map<HTMLStyleElement, CSSStyleSheet>();

function sync(e: HTMLStyleElement): void {
  let s = sheets.get(e);
  if (s === undefined) {
    s = new CSSStyleSheet();
    sheets.set(e, s);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
  }
  s.replaceSync(e.textContent ?? '');
}

function drop(e: HTMLStyleElement): void {
  const s = sheets.get(e);
  if (s !== undefined) {
    sheets.delete(e);
    document.adoptedStyleSheets =
        document.adoptedStyleSheets.filter((x) => x !== s);
  }
}

function styleOf(n: Node | null): HTMLStyleElement | null {
  for (; n !== null; n = n.parentNode) {
    if (n instanceof HTMLStyleElement) {
      return n;
    }
  }
  return null;
}

/* Mirror the style elements under root, now and as they change */
export function mirrorStyles(root: Element): void {
  root.querySelectorAll('style').forEach(sync);
  new MutationObserver((changes) => {
    for (const c of changes) {
      const own = styleOf(c.target);
      if (own !== null) {
        sync(own);
      }
      c.addedNodes.forEach((n) => {
        if (n instanceof Element) {
          if (n instanceof HTMLStyleElement) {
            sync(n);
          }
          n.querySelectorAll('style').forEach(sync);
        }
      });
      c.removedNodes.forEach((n) => {
        if (n instanceof HTMLStyleElement) {
          drop(n);
        } else if (n instanceof Element) {
          n.querySelectorAll('style').forEach(drop);
        }
      });
    }
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
