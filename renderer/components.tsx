import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

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
  /** The most characters the core takes: typing stops there, and the count shows as the limit nears. */
  maxLength?: number;
  /**
   * Filled by a barcode scanner, which types the code and presses Enter: Enter then ends the code,
   * not the form ('next': on to the next field; 'list': a list of codes, the next one after a comma).
   */
  scanned?: 'next' | 'list';
}

/** A scanner's Enter in a scanned field: the code is done, the form is not. */
function endOfScan(event: KeyboardEvent<HTMLInputElement>, scanned: 'next' | 'list', value: string, onChange: (value: string) => void): void {
  if (event.key !== 'Enter') return;
  event.preventDefault();
  if (scanned === 'list') {
    const codes = value.replace(/[\s,;]+$/, '');
    if (codes !== '') onChange(`${codes}, `);
    return;
  }
  const fields = [...(event.currentTarget.form?.elements ?? [])].filter(
    (element): element is HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement =>
      (element instanceof HTMLInputElement && !['hidden', 'file', 'radio', 'checkbox'].includes(element.type)) || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement,
  );
  fields[fields.indexOf(event.currentTarget) + 1]?.focus();
}

/** The count shows once this much of the limit is used, so short entries stay uncluttered. */
const COUNT_FROM = 0.8;

export function TextField(props: TextFieldProps) {
  const id = useId();
  const messageId = `${id}-message`;
  const countId = `${id}-count`;
  const message = props.error ?? props.hint;
  const showCount = props.maxLength !== undefined && props.value.length >= props.maxLength * COUNT_FROM;
  const errorRef = useScrolledIntoView<HTMLParagraphElement>(props.error);
  const inputProps = {
    id,
    value: props.value,
    required: props.required,
    placeholder: props.placeholder,
    autoFocus: props.autoFocus,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': [message ? messageId : null, showCount ? countId : null].filter(Boolean).join(' ') || undefined,
    maxLength: props.maxLength,
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
          onKeyDown={props.scanned ? (event) => endOfScan(event, props.scanned!, props.value, props.onChange) : undefined}
        />
      )}
      {showCount ? (
        <p id={countId} className="field__message">
          {props.value.length} of {props.maxLength} characters
        </p>
      ) : null}
      {message ? (
        <p id={messageId} ref={props.error ? errorRef : undefined} className={`field__message${props.error ? ' field__message--error' : props.hintTone === 'ok' ? ' field__message--ok' : ''}`}>
          {message}
        </p>
      ) : null}
    </div>
  );
}

/**
 * Brings a refusal into view as it appears: it shows where the operator acted, but that can be just
 * below the fold (the control they pressed was at the bottom edge) or scrolled away.
 */
function useScrolledIntoView<T extends HTMLElement>(shown: unknown) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (shown) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [shown]);
  return ref;
}

export function Alert({ tone, children }: { tone: 'error' | 'success' | 'info'; children: ReactNode }) {
  const ref = useScrolledIntoView<HTMLDivElement>(tone === 'error' ? children : null);
  return (
    <div ref={ref} className={`alert alert--${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

interface ChoiceProps<T extends string> {
  label: string;
  /** The id of a visible label that names the group instead of `label`. */
  labelledBy?: string;
  options: readonly { value: T; label: string }[];
  value: T | null;
  onChange: (value: T) => void;
  disabled?: boolean;
  /** Colours a choice by meaning (pass green, fail red). */
  toneOf?: (value: T) => string;
  /** One full-width option per line, for long labels. */
  stacked?: boolean;
}

const NEXT_KEYS: Record<string, 1 | -1> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/**
 * A row of large toggle buttons: one tap per answer on a touch screen. On the keyboard it is one
 * radio group: Tab reaches the chosen option (or the first), the arrow keys move the choice.
 */
export function Choice<T extends string>({ label, labelledBy, options, value, onChange, disabled, toneOf, stacked }: ChoiceProps<T>) {
  const focusable = options.some((option) => option.value === value) ? value : options[0]?.value;
  function onKeyDown(event: KeyboardEvent<HTMLButtonElement>, index: number) {
    const step = NEXT_KEYS[event.key];
    if (!step || options.length === 0) return;
    event.preventDefault();
    const next = options[(index + step + options.length) % options.length]!;
    onChange(next.value);
    const group = event.currentTarget.parentElement;
    group?.querySelectorAll<HTMLButtonElement>('[role="radio"]')[options.indexOf(next)]?.focus();
  }
  return (
    <div className={`choice${stacked ? ' choice--stacked' : ''}`} role="radiogroup" aria-label={labelledBy ? undefined : label} aria-labelledby={labelledBy}>
      {options.map((option, index) => (
        <button
          key={option.value}
          type="button"
          role="radio"
          aria-checked={value === option.value}
          tabIndex={option.value === focusable ? 0 : -1}
          disabled={disabled}
          className={`choice__option${value === option.value ? ` choice__option--on ${toneOf?.(option.value) ?? ''}` : ''}`}
          onClick={() => onChange(option.value)}
          onKeyDown={(event) => onKeyDown(event, index)}
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

/** Date.now(), moving every second while `running`, for a countdown. */
export function useTicking(running: boolean): number {
  // The time is read at each render, not kept in state, so the first render after `running`
  // turns on already shows the right countdown instead of one from when the screen mounted.
  const [, setTicks] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setTicks((ticks) => ticks + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return Date.now();
}

/** The top of a draft record's form: what it is, a line about it, and the way back to the list of drafts. */
export function FormHeader({ title, summary, headingId, onBack }: { title: ReactNode; summary: ReactNode; headingId?: string; onBack: () => void }) {
  return (
    <div className="card__header">
      <div>
        <h2 id={headingId}>{title}</h2>
        <p className="muted">{summary}</p>
      </div>
      <button type="button" className="button" onClick={onBack}>
        Back to list
      </button>
    </div>
  );
}
