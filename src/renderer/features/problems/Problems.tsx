import { formatFieldPath, type Problem } from '../../../shared/problem.ts';
import { focusNode, openPipeline, pipelineOfProblem, problemNode } from '../../state/actions.ts';
import { allProblems, workbench } from '../../state/workbench.ts';
import { useStore } from '../../lib/use-store.ts';

function open(p: Problem): void {
  const pipeline = pipelineOfProblem(p);
  const node = problemNode(p);
  if (pipeline !== undefined && node !== undefined) void focusNode(node, pipeline);
  else if (pipeline !== undefined) void openPipeline(pipeline);
}

/** Every located problem of the project; a click selects and centres the node it belongs to. */
export function Problems() {
  const problems = useStore(workbench, allProblems, (a, b) => a.length === b.length && a.every((p, i) => p === b[i]));
  const run = useStore(workbench, (s) => s.run.problems);
  const list = [...problems, ...run.filter((r) => !problems.some((p) => p.file === r.file && p.message === r.message))];
  if (!list.length) return <p className="pb-muted pb-pad" data-testid="problems">No problems.</p>;
  return (
    <ul className="pb-problems" data-testid="problems">
      {list.map((p, i) => {
        const clickable = pipelineOfProblem(p) !== undefined;
        return (
          <li key={`${p.file}:${p.line}:${p.col}:${i}`}>
            <button type="button" className="pb-problem" disabled={!clickable} onClick={() => open(p)} title={clickable ? 'Show in the canvas' : undefined}>
              <span className="pb-problem__loc pb-mono">
                {p.file}
                {p.line ? `:${p.line}:${p.col}` : ''}
              </span>
              {problemNode(p) && <span className="pb-problem__node">{problemNode(p)}</span>}
              <span className="pb-problem__path pb-mono">{formatFieldPath(p.path)}</span>
              <span className="pb-problem__msg">{p.message}</span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

export function useProblemCount(): number {
  return useStore(workbench, (s) => allProblems(s).length);
}
