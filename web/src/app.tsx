import { lazy, type MouseEvent, Suspense } from 'react';
import { apiKey, signOut } from './api';
import { Loading } from './components/states';
import { navigate, usePath } from './hooks';

// Each page is its own chunk, loaded when first opened: the shell paints without them (or ECharts).
const OverviewPage = lazy(() => import('./pages/overview').then((m) => ({ default: m.OverviewPage })));
const PaymentsPage = lazy(() => import('./pages/payments').then((m) => ({ default: m.PaymentsPage })));
const SettlementPage = lazy(() => import('./pages/settlement').then((m) => ({ default: m.SettlementPage })));
const DataQualityPage = lazy(() => import('./pages/data-quality').then((m) => ({ default: m.DataQualityPage })));

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
          <Suspense fallback={<Loading label={`Loading ${page.title}…`} />}>{page.render()}</Suspense>
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
