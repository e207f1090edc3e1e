// The S1 plot: p50 and p99 latency against offered rate, log–log, one colour per engine, solid for
// QoS 1 and dashed for QoS 0, as a self-contained SVG (no plotting library to install).

export interface Series {
  engine: 'plantbench' | 'node-red' | 'bridge';
  qos: 0 | 1;
  points: { rate: number; p50: number; p99: number }[];
}

const COLOUR = { plantbench: '#1f77b4', 'node-red': '#d62728', bridge: '#7f7f7f' };
const LABEL = { plantbench: 'Plantbench', 'node-red': 'Node-RED', bridge: 'bare MQTT.js bridge' };

export function latencySvg(series: readonly Series[]): string {
  const W = 720;
  const H = 440;
  const m = { l: 70, r: 200, t: 30, b: 50 };
  const all = series.flatMap((s) => s.points);
  const rates = all.map((p) => p.rate);
  const lats = all.flatMap((p) => [p.p50, p.p99]).filter((x) => x > 0);
  const x0 = Math.log10(Math.min(...rates) / 1.3);
  const x1 = Math.log10(Math.max(...rates) * 1.3);
  const y0 = Math.floor(Math.log10(Math.min(...lats)));
  const y1 = Math.ceil(Math.log10(Math.max(...lats)));
  const X = (rate: number): number => m.l + ((Math.log10(rate) - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (ms: number): number => H - m.b - ((Math.log10(Math.max(ms, 10 ** y0)) - y0) / (y1 - y0 || 1)) * (H - m.t - m.b);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="14">S1 MQTT → scale → MQTT: latency against rate (medians over repetitions)</text>`,
  ];
  for (let e = y0; e <= y1; e++) {
    const y = Y(10 ** e);
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
  }
  for (const rate of [...new Set(rates)].sort((a, b) => a - b)) {
    const x = X(rate);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${H - m.b}" stroke="#eee"/><text x="${x}" y="${H - m.b + 16}" text-anchor="middle">${rate / 1000}k</text>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">offered rate, msg/s</text>`);
  let ly = m.t + 10;
  for (const s of series) {
    if (!s.points.length) continue;
    const dash = s.qos === 0 ? ' stroke-dasharray="6 4"' : '';
    for (const [p, width] of [['p99', 2.5], ['p50', 1]] as const) {
      const d = s.points.map((pt, i) => `${i ? 'L' : 'M'}${X(pt.rate).toFixed(1)},${Y(pt[p]).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${COLOUR[s.engine]}" stroke-width="${width}"${dash}/>`);
      for (const pt of s.points) out.push(`<circle cx="${X(pt.rate).toFixed(1)}" cy="${Y(pt[p]).toFixed(1)}" r="${width + 1}" fill="${COLOUR[s.engine]}"/>`);
    }
    out.push(`<line x1="${W - m.r + 15}" x2="${W - m.r + 45}" y1="${ly}" y2="${ly}" stroke="${COLOUR[s.engine]}" stroke-width="2.5"${dash}/><text x="${W - m.r + 50}" y="${ly + 4}">${LABEL[s.engine]}, QoS ${s.qos}</text>`);
    ly += 18;
  }
  out.push(`<text x="${W - m.r + 15}" y="${ly + 10}" fill="#555">thick: p99, thin: p50</text>`, '</svg>');
  return out.join('\n') + '\n';
}
