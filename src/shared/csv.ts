// CSV as RFC 4180 has it: fields separated by commas, records ended by CRLF, and a field quoted
// (with its quotes doubled) when it holds a comma, a quote, CR or LF. Spreadsheets and Python's csv
// module read it back unchanged.

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header and the rows as CSV text; every record, the last one too, ends with CRLF. */
export function toCsv(header: readonly string[], rows: Iterable<readonly string[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
