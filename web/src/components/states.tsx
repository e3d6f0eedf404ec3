import type { ReactNode } from 'react';
import { ApiError } from '../api';

export function Loading(props: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </div>
  );
}

export function Empty(props: { children: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty">
      {props.children}
    </div>
  );
}

/** The API's `{error: {code, message}}` as the user sees it. */
export function ErrorBox(props: { error: unknown; what?: string }) {
  const e = props.error;
  const code = e instanceof ApiError ? e.code : 'ERROR';
  const message = e instanceof Error ? e.message : String(e);
  const requestId = e instanceof ApiError ? e.requestId : null;
  const status = e instanceof ApiError ? e.status : 0;
  const hint =
    status === 401 || status === 403
      ? 'Open the dashboard with an API key: /#key=psk_… (the admin key is printed at first start and kept in DATA_DIR/admin-api-key).'
      : status === 404
        ? 'This server does not offer this data (yet).'
        : null;
  return (
    <div className="state state-error" role="alert" data-testid="error" data-code={code}>
      <div className="error-title">
        {props.what ? `Could not load ${props.what}` : 'Something went wrong'} <code>{code}</code>
      </div>
      <div className="error-message">{message}</div>
      {hint && <div className="error-hint">{hint}</div>}
      {requestId && <div className="error-hint">Request id: {requestId}</div>}
    </div>
  );
}

/** Renders loading / error / content for one `useApi` result. */
export function Async<T>(props: {
  state: { data: T | null; error: unknown; loading: boolean };
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (props.state.error) return <ErrorBox error={props.state.error} what={props.what} />;
  if (props.state.data === null) return <Loading label={`Loading ${props.what}…`} />;
  return <>{props.children(props.state.data)}</>;
}
