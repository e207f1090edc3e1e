import type { ReactNode } from 'react';

/** A labelled control in the dense two-column form layout, with its message underneath. */
export function FormRow({ label, htmlFor, required, title, error, field, children }: {
  label: ReactNode;
  htmlFor?: string;
  required?: boolean;
  title?: string;
  error?: ReactNode;
  /** data-field, for locating the row (tests, problem links). */
  field?: string;
  children: ReactNode;
}) {
  return (
    <div className={`pb-field${error ? ' is-invalid' : ''}`} data-field={field}>
      <label className="pb-field__label" htmlFor={htmlFor} title={title}>
        {label}
        {required ? <span className="pb-field__req"> *</span> : null}
      </label>
      <div className="pb-field__control">{children}</div>
      {error ? (
        <div className="pb-field__error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
