/** The page frame and the routes. */
import { api } from './api.js';
import { useLoad } from './components.js';
import { ComparePage } from './pages/Compare.js';
import { ExperimentsPage } from './pages/Experiments.js';
import { MonitoringPage } from './pages/Monitoring.js';
import { ModelPage, ModelsPage } from './pages/Registry.js';
import { RunPage } from './pages/Run.js';
import { Link, type Location, useLocation } from './router.js';

function route(loc: Location, who: Parameters<typeof ModelPage>[0]['who']) {
  const parts = loc.path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [top, id] = parts;
  if (top === undefined) return <ExperimentsPage experimentId={undefined} />;
  if (top === 'experiments') return <ExperimentsPage experimentId={id} />;
  if (top === 'runs' && id) return <RunPage runId={id} />;
  if (top === 'compare') {
    const ids = (loc.query.get('runs') ?? '').split(',').filter((s) => s !== '');
    return <ComparePage runIds={ids} />;
  }
  if (top === 'models' && id) return <ModelPage name={id} who={who} />;
  if (top === 'models') return <ModelsPage />;
  if (top === 'monitoring') return <MonitoringPage />;
  return <p className="error">No page at {loc.path}.</p>;
}

export function App() {
  const loc = useLocation();
  const who = useLoad(() => api.whoami(), []);
  const section = loc.path.split('/')[1] ?? '';
  const nav = (to: string, label: string, active: boolean) => (
    <Link to={to} className={active ? 'active' : ''}>
      {label}
    </Link>
  );
  return (
    <>
      <header className="top">
        <span className="brand">propflow</span>
        <nav>
          {nav(
            '/',
            'Experiments',
            section === '' || section === 'experiments' || section === 'runs' || section === 'compare',
          )}
          {nav('/models', 'Models', section === 'models')}
          {nav('/monitoring', 'Monitoring', section === 'monitoring')}
        </nav>
        <span className="who" data-testid="who">
          {who.data?.auth ? `${who.data.user} (${who.data.permission})` : ''}
        </span>
      </header>
      <main key={loc.path}>{route(loc, who.data)}</main>
    </>
  );
}
