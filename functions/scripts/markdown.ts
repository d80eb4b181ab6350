/** Text helpers shared by the scripts that generate parts of the docs. */

/**
 * `doc` with the text between `markers` replaced by `content` (a blank line on each side). Throws,
 * naming `docName` and the marker, when the markers are missing or out of order.
 */
export function replaceBetween(
  doc: string,
  markers: readonly [string, string],
  content: string,
  docName: string,
): string {
  const start = doc.indexOf(markers[0]);
  const end = doc.indexOf(markers[1]);
  if (start === -1 || end < start) throw new Error(`${docName} lacks ${markers[0]}`);
  return `${doc.slice(0, start + markers[0].length)}\n\n${content}\n\n${doc.slice(end)}`;
}
