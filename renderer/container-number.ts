import { checkContainerNumber } from '../protocol/iso6346.js';
import { sentence } from './format.js';

export type ContainerCheck = { state: 'empty' } | { state: 'typing'; message: string } | { state: 'invalid'; message: string } | { state: 'valid'; value: string };

const CONTAINER_LENGTH = 11;
/** The start of a well-shaped number, so the clerk is not told it is wrong halfway through typing it. */
const CONTAINER_PREFIX = /^(?:[A-Z]{0,3}|[A-Z]{3}[UJZ]\d{0,6})$/i;

/** Live feedback while the clerk types, in the words of the same check the core runs. */
export function checkContainerInput(text: string): ContainerCheck {
  const compact = text.replace(/[\s-]/g, '');
  if (compact === '') return { state: 'empty' };
  const result = checkContainerNumber(compact);
  if (result.ok) return { state: 'valid', value: result.value };
  const message = sentence(result.reason);
  return compact.length < CONTAINER_LENGTH && CONTAINER_PREFIX.test(compact) ? { state: 'typing', message } : { state: 'invalid', message };
}
