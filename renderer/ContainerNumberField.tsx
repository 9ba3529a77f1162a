import { TextField } from './components.js';
import { checkContainerInput } from './container-number.js';

interface Props {
  value: string;
  onChange: (value: string) => void;
  onBlur?: () => void;
  /** A refusal from the form or the core; while there is none, the live check speaks. */
  error?: string | undefined;
  required?: boolean;
}

/**
 * A container number typed or scanned, checked as it is typed: a wrong check digit shows before the
 * clerk moves on, a half-typed number is told its shape rather than called wrong.
 */
export function ContainerNumberField({ value, onChange, onBlur, error, required }: Props) {
  const container = checkContainerInput(value);
  return (
    <TextField
      label="Container number"
      required={required}
      autoCapitalize
      scanned="next"
      placeholder="e.g. CSQU 305438 3"
      value={value}
      error={error ?? (container.state === 'invalid' ? container.message : undefined)}
      hint={container.state === 'valid' ? `✓ Valid container number ${container.value}` : container.state === 'typing' ? container.message : undefined}
      hintTone={container.state === 'valid' ? 'ok' : 'neutral'}
      onChange={onChange}
      onBlur={onBlur}
    />
  );
}
