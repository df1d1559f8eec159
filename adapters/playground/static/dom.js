// Small DOM helpers shared by the page's modules.

export const $ = (selector, root = document) => root.querySelector(selector);

/** "fomo" -> "Fomo", "real_estate" -> "Real estate": catalogue names as words. */
export const label = (name) => name.charAt(0).toUpperCase() + name.slice(1).replaceAll("_", " ");

/** Replace a select's options, keeping its value when still offered, else `preferred`, else the first. */
export function fill(select, options, preferred) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value)));
  const names = options.map(([value]) => value);
  select.value = names.includes(keep) && keep ? keep : names.includes(preferred) ? preferred : names[0];
}
