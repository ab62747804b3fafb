/*
 * Building the page: elements are made here with their text set through
 * textContent only, so nothing from a recording or the server is ever
 * read as HTML.
 */

type Attrs = Record<string, string | boolean | number | undefined>;
type Child = Node | string | null | undefined | false;

/* An element of tag with attributes (true: present, false/undefined:
 * absent) and children (strings become text nodes) */
export function el<K extends keyof HTMLElementTagNameMap>(
    tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) {
      continue;
    }
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

/* Replace everything in parent by children */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const c of children) {
    if (c) {
      parent.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
  }
}

/* The element with id, which the page must have */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) {
    throw new Error('the page has no #' + id);
  }
  return e as T;
}
