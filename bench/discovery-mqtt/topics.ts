// The benchmark's topic names: a UNS-like hierarchy, six levels deep.
export function benchTopic(i: number): string {
  return `acme/site${i % 4}/area${i % 10}/line${i % 50}/cell${i % 200}/tag${i}`;
}
