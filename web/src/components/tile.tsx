import type { ReactNode } from 'react';

export function Tile(props: { label: string; value: ReactNode; sub?: ReactNode; testId?: string; tone?: 'good' | 'bad' | 'neutral' }) {
  return (
    <div className={`tile tone-${props.tone ?? 'neutral'}`} data-testid={props.testId}>
      <div className="tile-label">{props.label}</div>
      <div className="tile-value" data-testid={props.testId ? `${props.testId}-value` : undefined}>
        {props.value}
      </div>
      {props.sub && <div className="tile-sub">{props.sub}</div>}
    </div>
  );
}

export function Card(props: { title: string; actions?: ReactNode; children: ReactNode; testId?: string }) {
  return (
    <section className="card" data-testid={props.testId}>
      <header className="card-header">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      <div className="card-body">{props.children}</div>
    </section>
  );
}
