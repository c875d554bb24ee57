/** Small helpers shared by the registry files: store error kinds and retry back-off. */
import { PropflowError } from '../errors.js';

/** The store said the object does not exist (MLflow: RESOURCE_DOES_NOT_EXIST / NOT_FOUND). */
export function isNotFound(err: unknown): boolean {
  return err instanceof PropflowError && (err.code === 'RESOURCE_DOES_NOT_EXIST' || err.code === 'NOT_FOUND');
}

/** The store said the object exists already or conflicts with what is there. */
export function isAlreadyExists(err: unknown): boolean {
  return (
    err instanceof PropflowError &&
    (err.code === 'RESOURCE_ALREADY_EXISTS' ||
      err.code === 'ALREADY_EXISTS' ||
      err.code === 'RESOURCE_CONFLICT')
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Randomised back-off before retry number `attempt` (0-based) after losing a race. */
export function backoff(attempt: number): Promise<void> {
  return sleep(5 + Math.random() * 20 * Math.min(attempt + 1, 10));
}
