import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { Layout } from './components/Layout.js';
import { TokenProvider } from './hooks/token.js';
import { ListPage } from './pages/ListPage.js';
import { ResourcePage } from './pages/ResourcePage.js';
import { RunPage } from './pages/RunPage.js';
import { SettingsPage } from './pages/SettingsPage.js';

// Client routes under /ui; the gateway answers every /ui/* path with index.html so they reload.
const router = createBrowserRouter(
  [
    {
      element: <Layout />,
      children: [
        { index: true, element: <Navigate to="/agents" replace /> },
        { path: 'settings', element: <SettingsPage /> },
        { path: 'runs/:id', element: <RunPage /> },
        { path: ':kind', element: <ListPage /> },
        { path: ':kind/:namespace/:name', element: <ResourcePage /> },
        { path: '*', element: <Navigate to="/agents" replace /> },
      ],
    },
  ],
  { basename: '/ui' },
);

export function App() {
  return (
    <TokenProvider>
      <RouterProvider router={router} />
    </TokenProvider>
  );
}
