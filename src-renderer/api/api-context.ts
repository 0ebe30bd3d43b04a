/* Hands the one ProcscopeApi to the components (tests can render them with a fake). */
import { createContext, useContext } from 'react';
import type { ProcscopeApi } from './procscope-api';

export const ApiContext = createContext<ProcscopeApi | null>(null);

export function useApi(): ProcscopeApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiContext.Provider>.');
  return api;
}
