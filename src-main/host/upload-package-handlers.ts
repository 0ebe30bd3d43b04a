/*
 * The request handlers of Prepare for upload (issue 15): each names a dump job, never a path; the service makes
 * the package from the job's own file (src-main/dump/package/upload-package-service.ts).
 */
import type { AppServices } from './app-services';
import type { RequestHandlersFor } from './request-context';

type UploadPackageChannel = 'procscope:prepare-upload-package' | 'procscope:upload-package-progress' | 'procscope:cancel-upload-package';

export function createUploadPackageHandlers(services: AppServices): RequestHandlersFor<UploadPackageChannel> {
  return {
    'procscope:prepare-upload-package': async ({ jobId }) => services.uploads.prepare(jobId),
    'procscope:upload-package-progress': async ({ jobId }) => services.uploads.progress(jobId),
    'procscope:cancel-upload-package': async ({ jobId }) => services.uploads.cancel(jobId),
  };
}
