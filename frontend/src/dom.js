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

/** Returns a button of type "button" with a class and text. */
export function button(className, text) {
  const b = el('button', className, text);
  b.type = 'button';
  return b;
}

/** Returns a label wrapping or pointing at a control with id. */
export function labelFor(id, text, className = 'field__label') {
  const label = el('label', className, text);
  label.htmlFor = id;
  return label;
}
