import { useId, type ReactNode } from 'react';

interface TextFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  error?: string | undefined;
  /** Neutral or positive feedback under the field (an error replaces it). */
  hint?: ReactNode;
  hintTone?: 'neutral' | 'ok';
  required?: boolean;
  type?: 'text' | 'password';
  inputMode?: 'text' | 'numeric';
  autoFocus?: boolean;
  autoCapitalize?: boolean;
  placeholder?: string;
  multiline?: boolean;
}

export function TextField(props: TextFieldProps) {
  const id = useId();
  const messageId = `${id}-message`;
  const message = props.error ?? props.hint;
  const inputProps = {
    id,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    autoFocus: props.autoFocus,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': message ? messageId : undefined,
    onBlur: props.onBlur,
    className: props.autoCapitalize ? 'uppercase' : undefined,
  };
  return (
    <div className={`field${props.error ? ' field--error' : ''}`}>
      <label htmlFor={id}>
        {props.label}
        {props.required ? <span className="required" aria-hidden="true"> *</span> : null}
      </label>
      {props.multiline ? (
        <textarea {...inputProps} rows={3} onChange={(event) => props.onChange(event.target.value)} />
      ) : (
        <input
          {...inputProps}
          type={props.type ?? 'text'}
          inputMode={props.inputMode}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => props.onChange(event.target.value)}
        />
      )}
      {message ? (
        <p id={messageId} className={`field__message${props.error ? ' field__message--error' : props.hintTone === 'ok' ? ' field__message--ok' : ''}`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

export function Alert({ tone, children }: { tone: 'error' | 'success' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

interface ChoiceProps<T extends string> {
  label: string;
  options: readonly { value: T; label: string }[];
  value: T | null;
  onChange: (value: T) => void;
  disabled?: boolean;
  /** Colours a choice by meaning (pass green, fail red). */
  toneOf?: (value: T) => string;
  /** One full-width option per line, for long labels. */
  stacked?: boolean;
}

/** A row of large toggle buttons: one tap per answer on a touch screen. */
export function Choice<T extends string>({ label, options, value, onChange, disabled, toneOf, stacked }: ChoiceProps<T>) {
  return (
    <div className={`choice${stacked ? ' choice--stacked' : ''}`} role="radiogroup" aria-label={label}>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          role="radio"
          aria-checked={value === option.value}
          disabled={disabled}
          className={`choice__option${value === option.value ? ` choice__option--on ${toneOf?.(option.value) ?? ''}` : ''}`}
          onClick={() => onChange(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'draft' | 'final' | 'in' | 'out' | 'muted' | 'warn'; children: ReactNode }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}
