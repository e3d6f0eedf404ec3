import type { MouseEvent } from 'react';
import { apiKey, signOut } from './api';
import { navigate, usePath } from './hooks';
import { DataQualityPage } from './pages/data-quality';
import { OverviewPage } from './pages/overview';
import { PaymentsPage } from './pages/payments';
import { SettlementPage } from './pages/settlement';

const PAGES = [
  { path: '/', title: 'Overview', render: () => <OverviewPage /> },
  { path: '/payments', title: 'Payments', render: () => <PaymentsPage /> },
  { path: '/settlement', title: 'Settlement', render: () => <SettlementPage /> },
  { path: '/data-quality', title: 'Data quality', render: () => <DataQualityPage /> },
] as const;

export function App() {
  const path = usePath();
  const page = PAGES.find((p) => p.path === path);
  const follow = (to: string) => (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  const key = apiKey();
  return (
    <div className="shell">
      <aside className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            P
          </span>
          Payscope
        </div>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a
              key={p.path}
              href={p.path}
              onClick={follow(p.path)}
              className={p.path === path ? 'active' : ''}
              aria-current={p.path === path ? 'page' : undefined}
            >
              {p.title}
            </a>
          ))}
        </nav>
        <div className="sidebar-foot">
          {key ? (
            <>
              <span title="API key of this tab (sessionStorage)">Key {key.slice(0, 8)}…</span>
              <button
                type="button"
                className="link"
                onClick={() => {
                  void signOut().then(() => window.location.reload());
                }}
              >
                Forget
              </button>
            </>
          ) : (
            <span>Signed in by session, or open /#key=psk_…</span>
          )}
        </div>
      </aside>
      <main className="content" data-page={page?.path ?? 'not-found'}>
        {page ? (
          page.render()
        ) : (
          <div className="page">
            <h1>Page not found</h1>
            <p>
              <a href="/" onClick={follow('/')}>
                Back to the overview
              </a>
            </p>
          </div>
        )}
      </main>
    </div>
  );
}
