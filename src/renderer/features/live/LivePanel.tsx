import { ui } from '../../state/actions.ts';
import { allProblems, workbench, type BottomTab } from '../../state/workbench.ts';
import { Tabs } from '../../lib/Tabs.tsx';
import { useStore } from '../../lib/use-store.ts';
import { Audit } from '../audit/Audit.tsx';
import { Problems } from '../problems/Problems.tsx';
import { Recordings } from '../recordings/Recordings.tsx';
import { Revisions } from '../revisions/Revisions.tsx';
import { DebugLog } from './DebugLog.tsx';
import { Trends } from './Trends.tsx';
import { ValuesTable } from './ValuesTable.tsx';

const TABS: { id: BottomTab; label: string }[] = [
  { id: 'values', label: 'Values' },
  { id: 'trends', label: 'Trends' },
  { id: 'log', label: 'Debug log' },
  { id: 'problems', label: 'Problems' },
  { id: 'revisions', label: 'Revisions' },
  { id: 'audit', label: 'Audit' },
  { id: 'recordings', label: 'Recordings' },
];

export function LivePanel() {
  const tab = useStore(workbench, (s) => s.bottomTab);
  const open = useStore(workbench, (s) => s.bottomOpen);
  const problems = useStore(workbench, (s) => allProblems(s).length);
  return (
    <section className={`pb-bottom${open ? '' : ' is-collapsed'}`} aria-label="Live">
      <Tabs
        tabs={TABS.map((t) => ({
          id: t.id,
          label: (
            <>
              {t.label}
              {t.id === 'problems' && problems > 0 && <span className="pb-count pb-count--bad">{problems}</span>}
            </>
          ),
        }))}
        active={tab}
        onSelect={(id) => ui({ bottomTab: id, bottomOpen: true })}
        extra={
          <>
            <span className="pb-toolbar__spacer" />
            <button type="button" className="pb-btn pb-btn--icon" onClick={() => ui({ bottomOpen: !open })} aria-label={open ? 'Collapse the live panel' : 'Expand the live panel'}>
              {open ? '▾' : '▴'}
            </button>
          </>
        }
      />
      {open && (
        <div className="pb-bottom__body" role="tabpanel" aria-labelledby={`pb-tab-${tab}`}>
          {tab === 'values' && <ValuesTable />}
          {tab === 'trends' && <Trends />}
          {tab === 'log' && <DebugLog />}
          {tab === 'problems' && <Problems />}
          {tab === 'revisions' && <Revisions />}
          {tab === 'audit' && <Audit />}
          {tab === 'recordings' && <Recordings />}
        </div>
      )}
    </section>
  );
}
