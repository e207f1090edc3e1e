// MQTT topic names and filters: matching, validation and the sink's topic template.
import type { Sample } from '../../shared/sample.ts';

/** A compiled topic filter; exact filters compare as strings, wildcard filters level by level. */
export interface TopicFilter {
  readonly filter: string;
  readonly wildcard: boolean;
  matches(topic: string): boolean;
  /** The topic levels a wildcard matched ("+" levels and what "#" covered), joined with "/". */
  wildcardPart(topic: string): string;
}

/** Why a subscription filter is not valid MQTT, or undefined when it is. */
export function filterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'the topic filter is empty';
  if (filter.includes('\u0000')) return 'a topic filter may not contain NUL';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return '"#" must be a whole level and the last one';
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/** Why a topic name is not publishable, or undefined when it is. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'the topic is empty';
  if (topic.includes('+') || topic.includes('#')) return 'a published topic may not contain the wildcards "+" or "#"';
  if (topic.includes('\u0000')) return 'a topic may not contain NUL';
  if (topic.charCodeAt(0) === 36) return 'topics starting with "$" are reserved for the broker';
  // The length prefix is 16 bits of UTF-8 bytes; a UTF-16 unit is at most 3 UTF-8 bytes.
  if (topic.length > 21845 && Buffer.byteLength(topic) > 65535) return 'the topic is longer than 65535 bytes';
  return undefined;
}

export function compileFilter(filter: string): TopicFilter {
  if (!filter.includes('+') && !filter.includes('#')) {
    return { filter, wildcard: false, matches: (t) => t === filter, wildcardPart: () => '' };
  }
  const levels = filter.split('/');
  const hashAt = levels[levels.length - 1] === '#' ? levels.length - 1 : -1;
  const fixed = hashAt >= 0 ? levels.slice(0, hashAt) : levels;
  const walk = (topic: string, collect: string[] | undefined): boolean => {
    // Wildcards at the first level never match the broker's own "$..." topics.
    if (topic.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false;
    const parts = topic.split('/');
    if (hashAt < 0 ? parts.length !== levels.length : parts.length < hashAt) return false;
    for (let i = 0; i < fixed.length; i++) {
      const want = fixed[i]!;
      if (want === '+') collect?.push(parts[i]!);
      else if (want !== parts[i]) return false;
    }
    if (hashAt >= 0 && collect) for (let i = hashAt; i < parts.length; i++) collect.push(parts[i]!);
    return true;
  };
  return {
    filter,
    wildcard: true,
    matches: (topic) => walk(topic, undefined),
    wildcardPart: (topic) => {
      const parts: string[] = [];
      return walk(topic, parts) ? parts.join('/') : '';
    },
  };
}

/** The placeholders a sink's topic template understands, besides the UNS hierarchy levels. */
export const SAMPLE_PLACEHOLDERS = ['path', 'device', 'tag', 'unit'] as const;

export const UNS_LEVELS = ['enterprise', 'site', 'area', 'line', 'cell'] as const;

/** Levels left empty (a UNS level the project does not use) must not leave "//" or an outer "/". */
const tidy = (t: string): string => (t.includes('//') || t.startsWith('/') || t.endsWith('/') ? t.split('/').filter(Boolean).join('/') : t);

/**
 * Compiles a topic template once. {path} is the sample path; {device} and {tag} split a
 * "<device>/<tag>" path at its first "/"; {unit} is the sample's unit; {enterprise}, {site},
 * {area}, {line}, {cell} come from the project's UNS hierarchy. Other names are an error.
 * Empty levels are removed, as the uns-topic node does.
 */
export function compileTopicTemplate(
  template: string,
  uns: Readonly<Partial<Record<(typeof UNS_LEVELS)[number], string>>>,
): { topic?: (s: Sample) => string; problem?: string } {
  const parts: (string | ((s: Sample) => string))[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    parts.push(template.slice(last, m.index));
    const name = m[1]!;
    if (name === 'path') parts.push((s) => s.path);
    else if (name === 'tag') parts.push((s) => s.path.slice(s.path.indexOf('/') + 1));
    else if (name === 'device') parts.push((s) => (s.path.includes('/') ? s.path.slice(0, s.path.indexOf('/')) : ''));
    else if (name === 'unit') parts.push((s) => s.meta?.unit ?? '');
    else if ((UNS_LEVELS as readonly string[]).includes(name)) parts.push(uns[name as (typeof UNS_LEVELS)[number]] ?? '');
    else {
      const known = [...SAMPLE_PLACEHOLDERS, ...UNS_LEVELS].map((k) => `{${k}}`).join(', ');
      return { problem: `topic template "${template}": unknown placeholder {${name}} (known: ${known})` };
    }
    last = m.index + m[0].length;
  }
  parts.push(template.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const constant = tidy(parts.join(''));
    return { topic: () => constant };
  }
  // The common "{path}": no string building per sample.
  if (parts.length === 3 && parts[0] === '' && parts[2] === '' && typeof parts[1] === 'function') {
    const only = parts[1];
    return { topic: (s) => tidy(only(s)) };
  }
  return {
    topic: (s) => {
      let t = '';
      for (const p of parts) t += typeof p === 'string' ? p : p(s);
      return tidy(t);
    },
  };
}
