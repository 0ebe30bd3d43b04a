/* Renderer entry: pick the transport once, then render the app (or a Properties window's page). Runs in Electron's sandboxed page or a browser. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiContext } from './api/api-context';
import { createDefaultApi } from './api/procscope-api';
import { App } from './components/app';
import { propertiesTargetFromSearch } from './components/properties/properties-page';
import { PropertiesWindow } from './components/properties/properties-window';
import './styles.css';
import './components/properties/detail.css';

const api = createDefaultApi();
// A Properties window is this same page with ?properties=<pid>:<startTimeMs>.
const propertiesTarget = propertiesTargetFromSearch(window.location.search);
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      {propertiesTarget ? <PropertiesWindow target={propertiesTarget} /> : <App />}
    </ApiContext.Provider>
  </StrictMode>,
);
