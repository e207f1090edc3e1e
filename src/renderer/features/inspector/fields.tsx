// Form controls generated from a node kind's config schema (lib/schema-form.ts). Each control
// shows the schema's validation message for its path right under it.
import { useId, useState, type ReactNode } from 'react';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { FormRow } from '../../lib/FormRow.tsx';
import { getIn, parseListItem, starterValue, type Field, type Simple } from '../../lib/schema-form.ts';

export type Path = readonly (string | number)[];
export const pathKey = (path: Path): string => path.join('.');

export interface FormContext {
  readonly value: unknown;
  readonly errors: ReadonlyMap<string, readonly string[]>;
  onChange(path: Path, value: unknown): void;
  /** Choices a field may offer (device ids, tag names), by field key. */
  suggestions?(field: Field): { options: readonly string[]; strict: boolean } | undefined;
}

function Errors({ path, ctx }: { path: Path; ctx: FormContext }) {
  const messages = ctx.errors.get(pathKey(path));
  if (!messages?.length) return null;
  return (
    <div className="pb-field__error" role="alert">
      {messages.join('; ')}
    </div>
  );
}

function Row({ field, label, htmlFor, children, ctx }: { field: Field; label?: string; htmlFor?: string; children: ReactNode; ctx: FormContext }) {
  const messages = ctx.errors.get(pathKey(field.path));
  return (
    <FormRow label={label ?? field.key} htmlFor={htmlFor} required={field.required} title={field.description} field={pathKey(field.path)} error={messages?.length ? messages.join('; ') : undefined}>
      {children}
    </FormRow>
  );
}

const placeholderOf = (field: Field): string | undefined => (field.default !== undefined ? `default: ${JSON.stringify(field.default)}` : field.required ? 'required' : 'optional');

function NumberInput({ id, value, onCommit, placeholder, integer, min, max }: { id: string; value: unknown; onCommit(v: number | undefined): void; placeholder?: string; integer: boolean; min?: number; max?: number }) {
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const shown = draft ?? (value === undefined ? '' : typeof value === 'number' ? String(value) : JSON.stringify(value));
  const bad = draft !== undefined && draft.trim() !== '' && !Number.isFinite(Number(draft));
  return (
    <>
      <input
        id={id}
        className={`pb-input pb-input--number${bad ? ' is-bad' : ''}`}
        inputMode={integer ? 'numeric' : 'decimal'}
        value={shown}
        placeholder={placeholder}
        title={[integer ? 'integer' : 'number', min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(', ')}
        onChange={(e) => {
          const text = e.target.value;
          setDraft(text);
          if (text.trim() === '') onCommit(undefined);
          else if (Number.isFinite(Number(text))) onCommit(Number(text));
        }}
        onBlur={() => setDraft(undefined)}
      />
      {bad && <div className="pb-field__error">not a number</div>}
    </>
  );
}

function StringInput({ id, field, ctx, value }: { id: string; field: Field; ctx: FormContext; value: unknown }) {
  const hint = ctx.suggestions?.(field);
  const listId = `${id}-list`;
  if (hint?.strict) {
    const options = value !== undefined && !hint.options.includes(String(value)) ? [String(value), ...hint.options] : hint.options;
    return (
      <select id={id} className="pb-input" value={value === undefined ? '' : String(value)} onChange={(e) => ctx.onChange(field.path, e.target.value === '' ? undefined : e.target.value)}>
        <option value="">{field.required ? '— choose —' : '(none)'}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  }
  const multiline = field.key === 'expression' || field.key === 'predicate' || field.key === 'description';
  const common = {
    id,
    className: 'pb-input',
    value: value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value),
    placeholder: placeholderOf(field),
    spellCheck: false,
  };
  if (multiline) {
    return <textarea {...common} rows={3} onChange={(e) => ctx.onChange(field.path, e.target.value === '' && !field.required ? undefined : e.target.value)} />;
  }
  return (
    <>
      <input {...common} list={hint ? listId : undefined} onChange={(e) => ctx.onChange(field.path, e.target.value === '' && !field.required ? undefined : e.target.value)} />
      {hint && (
        <datalist id={listId}>
          {hint.options.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      )}
    </>
  );
}

function ListInput({ id, field, ctx, value }: { id: string; field: Extract<Field, { kind: 'list' }>; ctx: FormContext; value: unknown }) {
  const items: unknown[] = Array.isArray(value) ? value : [];
  const [draft, setDraft] = useState('');
  const hint = ctx.suggestions?.(field);
  const listId = `${id}-list`;
  if (field.options) {
    // A fixed set of choices: one checkbox each, in the schema's order.
    return (
      <div className="pb-checks" id={id}>
        {field.options.map((o) => (
          <label key={String(o)} className="pb-check">
            <input
              type="checkbox"
              checked={items.includes(o)}
              onChange={(e) => ctx.onChange(field.path, e.target.checked ? field.options!.filter((x) => x === o || items.includes(x)) : items.filter((x) => x !== o))}
            />
            {String(o)}
          </label>
        ))}
      </div>
    );
  }
  const add = (): void => {
    const parts = draft.split(',').map((p) => parseListItem(p, field.item)).filter((p): p is Simple => p !== undefined);
    if (!parts.length) return;
    ctx.onChange(field.path, [...items, ...parts]);
    setDraft('');
  };
  return (
    <div className="pb-list">
      <div className="pb-chips">
        {items.map((item, i) => (
          <span key={`${i}-${String(item)}`} className="pb-chip">
            {typeof item === 'string' ? item : JSON.stringify(item)}
            <button type="button" className="pb-chip__x" aria-label={`remove ${String(item)}`} onClick={() => ctx.onChange(field.path, items.filter((_, j) => j !== i))}>
              ×
            </button>
          </span>
        ))}
        {!items.length && <span className="pb-muted">{field.key === 'tags' ? 'empty: every tag of the device' : 'empty'}</span>}
      </div>
      <input
        id={id}
        className="pb-input"
        value={draft}
        list={hint ? listId : undefined}
        placeholder="add (Enter; commas for several)"
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            add();
          }
        }}
        onBlur={add}
      />
      {hint && (
        <datalist id={listId}>
          {hint.options.filter((o) => !items.includes(o)).map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      )}
    </div>
  );
}

function RecordInput({ field, ctx, value }: { field: Field; ctx: FormContext; value: unknown }) {
  const entries = Object.entries(typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});
  const [newKey, setNewKey] = useState('');
  const put = (next: [string, unknown][]): void => ctx.onChange(field.path, Object.fromEntries(next));
  return (
    <div className="pb-record">
      {entries.map(([k, v], i) => (
        <div key={k} className="pb-record__row">
          <input className="pb-input pb-record__key" value={k} aria-label="key" onChange={(e) => put(entries.map((en, j) => (j === i ? [e.target.value, en[1]] : en)))} />
          <input className="pb-input" value={typeof v === 'string' ? v : JSON.stringify(v)} aria-label={`value of ${k}`} onChange={(e) => put(entries.map((en, j) => (j === i ? [en[0], e.target.value] : en)))} />
          <button type="button" className="pb-btn pb-btn--icon" aria-label={`remove ${k}`} onClick={() => put(entries.filter((_, j) => j !== i))}>
            ×
          </button>
        </div>
      ))}
      <div className="pb-record__row">
        <input className="pb-input pb-record__key" value={newKey} placeholder="new key" onChange={(e) => setNewKey(e.target.value)} onKeyDown={(e) => {
          if (e.key === 'Enter' && newKey.trim() && !entries.some(([k]) => k === newKey.trim())) {
            e.preventDefault();
            put([...entries, [newKey.trim(), '']]);
            setNewKey('');
          }
        }} />
        <button type="button" className="pb-btn" disabled={!newKey.trim()} onClick={() => {
          if (newKey.trim() && !entries.some(([k]) => k === newKey.trim())) put([...entries, [newKey.trim(), '']]);
          setNewKey('');
        }}>
          add
        </button>
      </div>
    </div>
  );
}

/** The fallback for what a form cannot draw well: the value as YAML, parsed as you type. */
export function RawInput({ id, value, onCommit, rows = 4 }: { id: string; value: unknown; onCommit(v: unknown): void; rows?: number }) {
  const text = value === undefined ? '' : toYaml(value, { lineWidth: 0 }).trimEnd();
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  return (
    <>
      <textarea
        id={id}
        className={`pb-input pb-input--code${error ? ' is-bad' : ''}`}
        rows={Math.max(rows, Math.min(12, (draft ?? text).split('\n').length + 1))}
        spellCheck={false}
        value={draft ?? text}
        onChange={(e) => {
          setDraft(e.target.value);
          try {
            const parsed: unknown = e.target.value.trim() === '' ? undefined : parseYaml(e.target.value);
            setError(undefined);
            onCommit(parsed);
          } catch (err) {
            setError((err as Error).message.split('\n')[0]);
          }
        }}
        onBlur={() => {
          if (!error) setDraft(undefined);
        }}
      />
      {error && <div className="pb-field__error">YAML: {error}</div>}
    </>
  );
}

export function FieldView({ field, ctx }: { field: Field; ctx: FormContext }) {
  const id = useId();
  const value = getIn(ctx.value, field.path);
  switch (field.kind) {
    case 'string':
      return (
        <Row field={field} htmlFor={id} ctx={ctx}>
          <StringInput id={id} field={field} ctx={ctx} value={value} />
        </Row>
      );
    case 'number':
      return (
        <Row field={field} htmlFor={id} ctx={ctx}>
          <NumberInput id={id} value={value} onCommit={(v) => ctx.onChange(field.path, v)} placeholder={placeholderOf(field)} integer={field.integer} min={field.min} max={field.max} />
        </Row>
      );
    case 'boolean': {
      const checked = typeof value === 'boolean' ? value : field.default === true;
      return (
        <Row field={field} htmlFor={id} ctx={ctx}>
          <input id={id} type="checkbox" className="pb-checkbox" checked={checked} onChange={(e) => ctx.onChange(field.path, e.target.checked)} />
          {value === undefined && <span className="pb-muted"> (default)</span>}
        </Row>
      );
    }
    case 'enum': {
      const shown = value ?? field.default;
      const index = field.options.findIndex((o) => o === shown);
      return (
        <Row field={field} htmlFor={id} ctx={ctx}>
          <select id={id} className="pb-input" value={index < 0 ? '' : String(index)} onChange={(e) => ctx.onChange(field.path, e.target.value === '' ? undefined : field.options[Number(e.target.value)])}>
            {(index < 0 || !field.required) && <option value="">{value === undefined ? (field.default !== undefined ? `default (${String(field.default)})` : '— choose —') : `invalid: ${JSON.stringify(value)}`}</option>}
            {field.options.map((o, i) => (
              <option key={String(o)} value={String(i)}>
                {String(o)}
              </option>
            ))}
          </select>
        </Row>
      );
    }
    case 'list':
      return (
        <Row field={field} htmlFor={id} ctx={ctx}>
          <ListInput id={id} field={field} ctx={ctx} value={value} />
        </Row>
      );
    case 'record':
      return (
        <Row field={field} ctx={ctx}>
          <RecordInput field={field} ctx={ctx} value={value} />
        </Row>
      );
    case 'object': {
      const present = value !== undefined;
      return (
        <fieldset className="pb-fieldset" data-field={pathKey(field.path)}>
          <legend>
            {field.key}
            {field.required ? <span className="pb-field__req"> *</span> : null}
            {!field.required && (
              <button type="button" className="pb-btn pb-btn--link" onClick={() => ctx.onChange(field.path, present ? undefined : starterValue(field.fields))}>
                {present ? 'remove' : 'set'}
              </button>
            )}
          </legend>
          <Errors path={field.path} ctx={ctx} />
          {(present || field.required) && field.fields.map((f) => <FieldView key={f.key} field={f} ctx={ctx} />)}
        </fieldset>
      );
    }
    case 'variant': {
      const current = (value as Record<string, unknown> | undefined)?.[field.discriminator] ?? (field.default as Record<string, unknown> | undefined)?.[field.discriminator];
      const variant = field.variants.find((v) => v.value === current);
      return (
        <fieldset className="pb-fieldset" data-field={pathKey(field.path)}>
          <legend>
            {field.key}
            {field.required ? <span className="pb-field__req"> *</span> : null}
          </legend>
          <div className="pb-field">
            <label className="pb-field__label" htmlFor={id}>
              {field.discriminator}
            </label>
            <div className="pb-field__control">
              <select
                id={id}
                className="pb-input"
                value={variant ? String(variant.value) : ''}
                onChange={(e) => {
                  const v = field.variants.find((x) => String(x.value) === e.target.value);
                  ctx.onChange(field.path, v ? { [field.discriminator]: v.value, ...starterValue(v.fields) } : undefined);
                }}
              >
                {!field.required && <option value="">{field.default !== undefined ? 'default' : '(none)'}</option>}
                {field.required && !variant && <option value="">— choose —</option>}
                {field.variants.map((v) => (
                  <option key={String(v.value)} value={String(v.value)}>
                    {String(v.value)}
                  </option>
                ))}
              </select>
            </div>
            <Errors path={[...field.path, field.discriminator]} ctx={ctx} />
          </div>
          <Errors path={field.path} ctx={ctx} />
          {value !== undefined && variant?.fields.map((f) => <FieldView key={f.key} field={f} ctx={ctx} />)}
        </fieldset>
      );
    }
    case 'raw':
      return (
        <Row field={field} htmlFor={id} ctx={ctx} label={`${field.key} (YAML)`}>
          <RawInput id={id} value={value} onCommit={(v) => ctx.onChange(field.path, v)} />
        </Row>
      );
  }
}
