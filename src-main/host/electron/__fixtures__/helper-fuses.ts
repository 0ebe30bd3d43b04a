/**
 * The fuses the elevated helper's safety rests on (issue 11, item 4), as electron-builder.yml must set them: with
 * any of them left at Electron's default, a switch or variable on the approved binary runs code of the caller's
 * choosing as root. Shared by the builder-config test and the security-checklist test (item 19).
 */
export const HELPER_SAFETY_FUSES = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  onlyLoadAppFromAsar: true,
  enableEmbeddedAsarIntegrityValidation: true,
  grantFileProtocolExtraPrivileges: false,
} as const;
