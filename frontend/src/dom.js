// DOM building shared by the modules of the page.

/**
 * Returns a new element of tag with className (if any) and text (if not
 * null). text is set as textContent, never parsed as HTML: actor data
 * comes from imported files.
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}
