/** Helpers shared by the data module's tests (imported by tests only). */
import { expect } from 'vitest';
import { DataError } from '../errors.js';

/** The message of the `DataError` that `fn` throws (fails the test when it throws none or another error). */
export function dataErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as Error).message;
  }
  throw new Error('expected a DataError');
}
