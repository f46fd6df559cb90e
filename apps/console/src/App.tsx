import { Layout } from './components/Layout';
import { Page } from './components/Bits';
import { path } from './state/route';
import { me } from './state/session';
import { ApiKeysPage } from './pages/api-keys/ApiKeysPage';
import { ArtifactsPage } from './pages/artifacts/ArtifactsPage';
import { AuditPage } from './pages/audit/AuditPage';
import { DevicePage } from './pages/device/DevicePage';
import { DevicesPage } from './pages/devices/DevicesPage';
import { GroupsPage } from './pages/groups/GroupsPage';
import { NewRolloutPage } from './pages/new-rollout/NewRolloutPage';
import { OverviewPage } from './pages/overview/OverviewPage';
import { RolloutPage } from './pages/rollout/RolloutPage';
import { RolloutsPage } from './pages/rollouts/RolloutsPage';
import { SignInPage } from './pages/signin/SignInPage';

function view(current: string) {
  if (current === '/') return <OverviewPage />;
  if (current === '/devices') return <DevicesPage />;
  if (current.startsWith('/devices/')) return <DevicePage id={decodeURIComponent(current.slice('/devices/'.length))} />;
  if (current === '/rollouts') return <RolloutsPage />;
  if (current === '/rollouts/new') return <NewRolloutPage />;
  if (current.startsWith('/rollouts/')) return <RolloutPage id={decodeURIComponent(current.slice('/rollouts/'.length))} />;
  if (current === '/groups') return <GroupsPage />;
  if (current === '/artifacts') return <ArtifactsPage />;
  if (current === '/audit') return <AuditPage />;
  if (current === '/api-keys') return <ApiKeysPage />;
  return (
    <Page title="Not found">
      <p>There is no console page at this address.</p>
    </Page>
  );
}

export function App() {
  if (!me.value) return <SignInPage />;
  return <Layout>{view(path.value)}</Layout>;
}
