/**
 * Building DOM nodes without a framework. Text goes in as text nodes, never as HTML, so tenant data
 * (log lines, errors, outputs) cannot inject markup; attributes are set one by one, never `style`
 * (the Content-Security-Policy allows no inline styles).
 */

/** What an element may contain: nodes, text, or nothing (left out). */
export type Child = Node | string | number | null | undefined | false;

/** Attributes; `true` sets an empty one, `false` and `undefined` leave it out. */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

function fill<E extends Element>(element: E, attributes: Attributes, children: readonly Child[]): E {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "number" ? String(child) : child);
  }
  return element;
}

/** An HTML element: `h("a", { href: "#/" }, "Home")`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element: `s("rect", { x: 0, y: 0, width: 10, height: 4 })`. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** Replaces everything inside `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  fill(parent, {}, children);
}
