import { lazy, type MouseEvent, Suspense, useEffect, useState } from 'react';
import { apiKey, captureKeyFromFragment, signOut } from './api';
import { Loading } from './components/states';
import { navigate, usePath } from './hooks';

// Each page is its own chunk, loaded when first opened: the shell paints without them (or ECharts).
const OverviewPage = lazy(() => import('./pages/overview').then((m) => ({ default: m.OverviewPage })));
const PaymentsPage = lazy(() => import('./pages/payments').then((m) => ({ default: m.PaymentsPage })));
const PaymentsListPage = lazy(() => import('./pages/payments-list').then((m) => ({ default: m.PaymentsListPage })));
const SettlementPage = lazy(() => import('./pages/settlement').then((m) => ({ default: m.SettlementPage })));
const FunnelsPage = lazy(() => import('./pages/funnels').then((m) => ({ default: m.FunnelsPage })));
const ExperimentsPage = lazy(() => import('./pages/experiments').then((m) => ({ default: m.ExperimentsPage })));
const CohortsPage = lazy(() => import('./pages/cohorts').then((m) => ({ default: m.CohortsPage })));
const RfmPage = lazy(() => import('./pages/rfm').then((m) => ({ default: m.RfmPage })));
const DataQualityPage = lazy(() => import('./pages/data-quality').then((m) => ({ default: m.DataQualityPage })));

const PAGES = [
  { path: '/', title: 'Overview', render: () => <OverviewPage /> },
  { path: '/payments', title: 'Payments', render: () => <PaymentsPage /> },
  { path: '/payments/list', title: 'List', sub: true, render: () => <PaymentsListPage /> },
  { path: '/settlement', title: 'Settlement', render: () => <SettlementPage /> },
  { path: '/funnels', title: 'Funnels', render: () => <FunnelsPage /> },
  { path: '/experiments', title: 'Experiments', render: () => <ExperimentsPage /> },
  { path: '/cohorts', title: 'Cohorts', render: () => <CohortsPage /> },
  { path: '/rfm', title: 'RFM segments', render: () => <RfmPage /> },
  { path: '/data-quality', title: 'Data quality', render: () => <DataQualityPage /> },
] as const;

/**
 * A sign-in link (`/#key=psk_…`) pasted into an already open tab changes only the fragment: no
 * load, so main.tsx's capture never runs again. Listening to hashchange/popstate takes the key
 * then; the returned epoch changes once the session exists, and the page remounts with it.
 */
function useSignInEpoch(): number {
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    const onChange = () => {
      const signingIn = captureKeyFromFragment();
      if (signingIn) void signingIn.then(() => setEpoch((e) => e + 1));
    };
    window.addEventListener('hashchange', onChange);
    window.addEventListener('popstate', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
      window.removeEventListener('popstate', onChange);
    };
  }, []);
  return epoch;
}

export function App() {
  const path = usePath();
  const epoch = useSignInEpoch();
  const [menuOpen, setMenuOpen] = useState(false);
  const page = PAGES.find((p) => p.path === path);
  const follow = (to: string) => (e: MouseEvent) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    setMenuOpen(false);
    navigate(to);
  };
  const key = apiKey();
  return (
    <div className="shell">
      <aside className={`sidebar${menuOpen ? ' open' : ''}`}>
        <div className="sidebar-inner">
          <div className="sidebar-top">
            <div className="brand">
              <span className="brand-mark" aria-hidden="true">
                P
              </span>
              Payscope
            </div>
            <button
              type="button"
              className="menu-button"
              aria-expanded={menuOpen}
              aria-controls="page-nav"
              data-testid="menu-button"
              onClick={() => setMenuOpen((o) => !o)}
            >
              {menuOpen ? 'Close' : 'Menu'}
            </button>
          </div>
          <nav aria-label="Pages" id="page-nav">
            {PAGES.map((p) => (
              <a
                key={p.path}
                href={p.path}
                onClick={follow(p.path)}
                className={`${p.path === path ? 'active' : ''}${'sub' in p ? ' sub' : ''}`}
                aria-current={p.path === path ? 'page' : undefined}
                aria-label={'sub' in p ? 'Payment list' : undefined}
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
        </div>
      </aside>
      <main className="content" data-page={page?.path ?? 'not-found'} key={epoch}>
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
