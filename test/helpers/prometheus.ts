// A strict reader of the Prometheus text exposition format 0.0.4, to check what /metrics serves:
// every sample belongs to a family announced by one HELP and one TYPE line before it, a family's
// samples are contiguous, label values are unescaped, and a series appears once.

export interface PromSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  help: string;
  type: string;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (text.length && !text.endsWith('\n')) throw new Error('the exposition does not end with a line feed');
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  let current: PromFamily | undefined;
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, what, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name) || NAME.exec(name)![0] !== name) throw new Error(`${where}: bad metric name "${name}"`);
      let family = families.get(name);
      if (!family) {
        family = { name, help: '', type: 'untyped', samples: [] };
        families.set(name, family);
      } else if (family !== current) throw new Error(`${where}: ${name} announced again after other families`);
      current = family;
      if (what === 'HELP') family.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      else if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) throw new Error(`${where}: bad type "${rest}"`);
      else if (family.samples.length) throw new Error(`${where}: TYPE after samples of ${name}`);
      else family.type = rest;
      return;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`${where}: no metric name in "${line}"`);
    let pos = name.length;
    const labels: Record<string, string> = {};
    if (line[pos] === '{') {
      pos++;
      while (line[pos] !== '}') {
        const label = LABEL.exec(line.slice(pos))?.[0];
        if (!label || line.slice(pos + label.length, pos + label.length + 2) !== '="') throw new Error(`${where}: bad label at col ${pos + 1}`);
        pos += label.length + 2;
        let value = '';
        for (;;) {
          const c = line[pos++];
          if (c === undefined) throw new Error(`${where}: unterminated label value`);
          if (c === '"') break;
          if (c === '\\') {
            const e = line[pos++];
            if (e === 'n') value += '\n';
            else if (e === '\\' || e === '"') value += e;
            else throw new Error(`${where}: bad escape \\${e}`);
          } else value += c;
        }
        if (label in labels) throw new Error(`${where}: label ${label} twice`);
        labels[label] = value;
        if (line[pos] === ',') pos++;
        else if (line[pos] !== '}') throw new Error(`${where}: expected , or } at col ${pos + 1}`);
      }
      pos++;
    }
    const rest = line.slice(pos);
    const m = /^ (\S+)( -?\d+)?$/.exec(rest);
    if (!m) throw new Error(`${where}: bad value part "${rest}"`);
    const raw = m[1]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`${where}: bad value "${raw}"`);
    // Samples belong to the family announced last (histogram/summary suffixes aside).
    const family = current && (name === current.name || name.startsWith(`${current.name}_`)) ? current : undefined;
    if (!family) throw new Error(`${where}: ${name} has no HELP/TYPE before it, or its family was interrupted`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`${where}: series ${key} appears twice`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function metricValue(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const matches = (families.get(name)?.samples ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${matches.length} series`);
  return matches[0]?.value;
}
