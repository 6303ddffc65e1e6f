// The one way the workshop pages build elements: any text goes in as
// textContent, never as HTML.

/** Returns a new element with an optional class name and text. */
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
