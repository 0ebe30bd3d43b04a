/* The persisted view's channels (src-shared/ipc/view-settings-contract.ts), answered by the host's view store. */
import type { AppServices } from './app-services';
import type { RequestHandlersFor } from './request-context';

export function createViewSettingsHandlers(
  services: Pick<AppServices, 'viewSettings'>,
): RequestHandlersFor<'procscope:get-view-settings' | 'procscope:set-view-settings'> {
  return {
    'procscope:get-view-settings': async () => services.viewSettings.load(),
    'procscope:set-view-settings': async ({ settings }) => services.viewSettings.save(settings),
  };
}
