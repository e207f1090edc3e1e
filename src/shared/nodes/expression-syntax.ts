import jsonata from 'jsonata';
import type { z } from 'zod';

/** Zod refinement: the string must parse as JSONata. The error says where in the expression. */
export function checkJsonata(expression: string, ctx: z.RefinementCtx, path: (string | number)[]): void {
  try {
    jsonata(expression);
  } catch (err) {
    const e = err as { message?: string; position?: number; token?: string };
    const where = e.position !== undefined ? ` at character ${e.position}` : '';
    ctx.addIssue({ code: 'custom', path, message: `JSONata syntax error${where}: ${e.message ?? String(err)}` });
  }
}
