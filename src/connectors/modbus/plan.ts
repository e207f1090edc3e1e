// Poll planning: the tags of one poll group become the fewest read requests. Pure.
//
// Per area (and unit), tags are sorted by wire offset and merged greedily while the unused
// registers between two tags are at most maxGap and the request stays within the protocol limit
// (125 registers, 2000 bits). Greedy left-to-right merging gives the fewest requests for sorted
// intervals under a gap and a length limit. For coils and discrete inputs the gap is counted in
// bits, maxGap × 16, which costs the same bytes on the wire as maxGap registers.
import { isBitArea, maxReadCount, modbusAddress, registerCount, type ModbusArea, type RegisterFormat } from '../../shared/codec/modbus.ts';

export interface PlanTag extends RegisterFormat {
  readonly name: string;
  readonly area: ModbusArea;
  /** In the device's address base. */
  readonly address: number;
}

export interface PlannedTag<T extends PlanTag = PlanTag> {
  readonly tag: T;
  /** Index of the tag's first register (or bit) in the response. */
  readonly index: number;
}

export interface PlannedRead<T extends PlanTag = PlanTag> {
  readonly unit: number;
  readonly area: ModbusArea;
  /** Wire offset of the first register or bit. */
  readonly offset: number;
  readonly count: number;
  readonly tags: readonly PlannedTag<T>[];
}

export interface PlanOptions {
  readonly unit: number;
  readonly addressBase: 0 | 1;
  /** Unused registers that may be read to merge two requests. */
  readonly maxGap: number;
  /** Protocol limits by default; lower them for devices that accept less per request. */
  readonly maxRegisters?: number;
  readonly maxBits?: number;
}

export interface Plan<T extends PlanTag = PlanTag> {
  readonly reads: readonly PlannedRead<T>[];
  /** Tags left out, with the reason (address outside the wire range, too wide for one request). */
  readonly problems: readonly { readonly tag: T; readonly message: string }[];
}

const AREA_ORDER: readonly ModbusArea[] = ['holding', 'input', 'coil', 'discrete-input'];

/** Plans the reads of one poll group's tags. */
export function planReads<T extends PlanTag>(tags: readonly T[], options: PlanOptions): Plan<T> {
  const problems: { tag: T; message: string }[] = [];
  const byArea = new Map<ModbusArea, { tag: T; start: number; end: number }[]>();
  for (const tag of tags) {
    const bits = isBitArea(tag.area);
    const limit = bits ? Math.min(options.maxBits ?? 2000, maxReadCount(tag.area)) : Math.min(options.maxRegisters ?? 125, maxReadCount(tag.area));
    let start: number;
    let width: number;
    try {
      start = modbusAddress(tag.area, tag.address, options.addressBase).offset;
      width = bits ? 1 : registerCount(tag);
    } catch (err) {
      problems.push({ tag, message: `tag "${tag.name}": ${(err as Error).message}` });
      continue;
    }
    if (start + width > 65536) {
      problems.push({ tag, message: `tag "${tag.name}": ${width} registers from offset ${start} run past the last address 65535` });
      continue;
    }
    if (width > limit) {
      problems.push({ tag, message: `tag "${tag.name}": ${width} registers do not fit one request (at most ${limit})` });
      continue;
    }
    const list = byArea.get(tag.area) ?? [];
    byArea.set(tag.area, list);
    list.push({ tag, start, end: start + width });
  }

  const reads: PlannedRead<T>[] = [];
  for (const area of AREA_ORDER) {
    const items = byArea.get(area);
    if (!items) continue;
    const bits = isBitArea(area);
    const limit = bits ? Math.min(options.maxBits ?? 2000, 2000) : Math.min(options.maxRegisters ?? 125, 125);
    const gap = Math.max(0, options.maxGap) * (bits ? 16 : 1);
    items.sort((a, b) => a.start - b.start || a.end - b.end);
    let current: { start: number; end: number; members: { tag: T; start: number }[] } | undefined;
    const close = (): void => {
      if (!current) return;
      const start = current.start;
      reads.push({
        unit: options.unit,
        area,
        offset: start,
        count: current.end - start,
        tags: current.members.map((m) => ({ tag: m.tag, index: m.start - start })),
      });
    };
    for (const item of items) {
      if (current && item.start - current.end <= gap && Math.max(current.end, item.end) - current.start <= limit) {
        current.end = Math.max(current.end, item.end);
        current.members.push(item);
      } else {
        close();
        current = { start: item.start, end: item.end, members: [item] };
      }
    }
    close();
  }
  return { reads, problems };
}
