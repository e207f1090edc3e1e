import { describe, expect, it } from 'vitest';
import { compileFilter, compileTopicTemplate, filterProblem, topicNameProblem } from '../../../../src/connectors/mqtt/topic.ts';
import type { Sample } from '../../../../src/shared/sample.ts';

describe('topic filters', () => {
  it('match by MQTT rules: + one level, # the rest including the parent, $ topics only explicitly', () => {
    const cases: [string, string, boolean][] = [
      ['a/b', 'a/b', true],
      ['a/b', 'a/b/c', false],
      ['a/+/c', 'a/b/c', true],
      ['a/+/c', 'a/c', false],
      ['a/+', 'a/', true],
      ['a/#', 'a', true],
      ['a/#', 'a/b/c', true],
      ['#', 'anything/at/all', true],
      ['#', '$SYS/broker/uptime', false],
      ['+/broker', '$SYS/broker', false],
      ['$SYS/#', '$SYS/broker/uptime', true],
      ['+/+', 'a/b', true],
      ['+/+', 'a/b/c', false],
    ];
    for (const [filter, topic, match] of cases) expect([filter, topic, compileFilter(filter).matches(topic)]).toEqual([filter, topic, match]);
  });

  it('tell which levels the wildcards matched', () => {
    expect(compileFilter('cells/+/temp').wildcardPart('cells/c7/temp')).toBe('c7');
    expect(compileFilter('plant/#').wildcardPart('plant/a/b')).toBe('a/b');
    expect(compileFilter('+/x/#').wildcardPart('p/x/q/r')).toBe('p/q/r');
    expect(compileFilter('a/b').wildcardPart('a/b')).toBe('');
  });

  it('reject malformed filters and unpublishable topics with the reason', () => {
    expect(filterProblem('a/#/b')).toBe('"#" must be a whole level and the last one');
    expect(filterProblem('a/b+')).toBe('"+" must be a whole level');
    expect(filterProblem('')).toBe('the topic filter is empty');
    expect(filterProblem('a/+/#')).toBeUndefined();
    expect(topicNameProblem('')).toBe('the topic is empty');
    expect(topicNameProblem('a/+')).toMatch(/wildcards/);
    expect(topicNameProblem('$SYS/x')).toMatch(/reserved/);
    expect(topicNameProblem('a'.repeat(70_000))).toMatch(/65535 bytes/);
    expect(topicNameProblem('acme/dortmund/packaging/line-1/filler/level')).toBeUndefined();
  });
});

describe('sink topic templates', () => {
  const uns = { enterprise: 'acme', site: 'dortmund', area: 'packaging', line: 'line-1' };
  const s = (path: string, unit?: string): Sample => ({ path, value: 1, quality: 'good', ts: 0, ...(unit ? { meta: { unit } } : {}) });

  it('fill {path}, {device}, {tag}, {unit} and the UNS levels, leaving out empty levels', () => {
    expect(compileTopicTemplate('{path}', uns).topic!(s('acme/x/y'))).toBe('acme/x/y');
    expect(compileTopicTemplate('{enterprise}/{site}/{area}/{line}/{cell}/{device}/{tag}', uns).topic!(s('filler/level'))).toBe('acme/dortmund/packaging/line-1/filler/level');
    expect(compileTopicTemplate('m/{tag}/{unit}', uns).topic!(s('filler/level', 'mm'))).toBe('m/level/mm');
    expect(compileTopicTemplate('fixed/topic', uns).topic!(s('x'))).toBe('fixed/topic');
  });

  it('refuse unknown placeholders, listing the known ones', () => {
    expect(compileTopicTemplate('{machine}/{tag}', uns).problem).toBe(
      'topic template "{machine}/{tag}": unknown placeholder {machine} (known: {path}, {device}, {tag}, {unit}, {enterprise}, {site}, {area}, {line}, {cell})',
    );
  });
});
