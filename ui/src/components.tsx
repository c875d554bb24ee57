/** Shared pieces: charts (vega-embed), loading/error states, a reason dialog. */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import type { Result } from 'vega-embed';
import { type ChartSpec, withTheme } from '../../src/charts/specs.js';
import { ApiError } from './api.js';

/** A vega-lite chart drawn as SVG (so tests and screen readers can see its marks). */
export function Chart({ spec, testId }: { spec: ChartSpec; testId: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!ref.current) return;
    let result: Result | undefined;
    let cancelled = false;
    const el = ref.current;
    // vega is most of the bundle: loaded with the first chart, not with the first page.
    import('vega-embed')
      .then(({ default: embed }) => embed(el, withTheme(spec), { renderer: 'svg', actions: false }))
      .then((r) => {
        if (cancelled) r.finalize();
        else result = r;
      })
      .catch((e: unknown) => setError(String(e)));
    return () => {
      cancelled = true;
      result?.finalize();
    };
  }, [spec]);
  return (
    <div className="chart">
      {error && <ErrorBox error={error} />}
      <div ref={ref} data-testid={testId} />
    </div>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const text = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  return (
    <div className="error" role="alert">
      {text}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <div className="muted">Loading {what}…</div>;
}

/** Load something when `deps` change: `{data, error, reload}`. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: callers list what `load` depends on
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A modal that asks for a reason before a registry action (the reason goes into the history). */
export function ReasonDialog(props: {
  title: string;
  description: ReactNode;
  confirm: string;
  allowForce?: boolean;
  onSubmit: (reason: string, force: boolean) => Promise<void>;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(reason.trim(), force);
      props.onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="modal-backdrop">
      <div className="modal" role="dialog" aria-label={props.title}>
        <h3>{props.title}</h3>
        <div>{props.description}</div>
        <label className="field">
          Reason (kept in the audit history)
          <textarea
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            rows={3}
            maxLength={1000}
            data-testid="reason"
          />
        </label>
        {props.allowForce && (
          <label className="check">
            <input
              type="checkbox"
              checked={force}
              onChange={(e) => setForce(e.target.checked)}
              data-testid="force"
            />{' '}
            Force (the version has no PASSED evaluation)
          </label>
        )}
        {error !== null && <ErrorBox error={error} />}
        <div className="buttons">
          <button type="button" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="primary"
            onClick={submit}
            disabled={busy || reason.trim() === ''}
            data-testid="confirm"
          >
            {props.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
