/* Renderer entry: pick the transport once, then render the app. Runs in Electron's sandboxed page or a browser. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiContext } from './api/api-context';
import { createDefaultApi } from './api/procscope-api';
import { App } from './components/app';
import './styles.css';

const api = createDefaultApi();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
