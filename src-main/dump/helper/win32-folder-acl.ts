/*
 * Whether an account other than the requester (or the machine's own: SYSTEM, Administrators, TrustedInstaller)
 * could swap a folder on the elevated helper's path, read from the folder's owner and its DACL in SDDL (as
 * ConvertSecurityDescriptorToStringSecurityDescriptorW writes it). The Windows counterpart of the POSIX check's
 * owner and mode bits. Pure, so it is tested here on Linux with the DACLs real Windows and Wine report.
 *
 * Swapping a folder takes renaming or deleting it (DELETE on it, FILE_DELETE_CHILD on its parent) or taking it
 * over (WRITE_DAC, WRITE_OWNER, full control). Adding new entries (FILE_ADD_SUBDIRECTORY, as Authenticated Users
 * have on C:\) does not, so it is allowed. An ACE that is inherit-only does not apply to the folder itself.
 */

const TRUSTED_ACCOUNTS = new Set([
  'SY', // LocalSystem
  'S-1-5-18',
  'BA', // BUILTIN\Administrators
  'S-1-5-32-544',
  'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464', // NT SERVICE\TrustedInstaller
]);
/** CREATOR OWNER and CREATOR GROUP stand for no one on the folder itself; OWNER RIGHTS is the (checked) owner. */
const PLACEHOLDER_ACCOUNTS = new Set(['CO', 'S-1-3-0', 'CG', 'S-1-3-1', 'OW', 'S-1-3-4']);

const DELETE = 0x10000;
const WRITE_DAC = 0x40000;
const WRITE_OWNER = 0x80000;
const FILE_DELETE_CHILD = 0x40;
const GENERIC_ALL = 0x10000000;
const SWAP_RIGHTS = DELETE | WRITE_DAC | WRITE_OWNER | FILE_DELETE_CHILD | GENERIC_ALL;

/** SDDL's two-letter access rights (sddl.h); FA is FILE_ALL_ACCESS, DT is the bit files use as FILE_DELETE_CHILD. */
const RIGHT_CODES: Record<string, number> = {
  GA: GENERIC_ALL,
  GR: 0x80000000,
  GW: 0x40000000,
  GX: 0x20000000,
  RC: 0x20000,
  SD: DELETE,
  WD: WRITE_DAC,
  WO: WRITE_OWNER,
  FA: 0x1f01ff,
  FR: 0x120089,
  FW: 0x120116,
  FX: 0x1200a0,
  CC: 0x1,
  DC: 0x2,
  LC: 0x4,
  SW: 0x8,
  RP: 0x10,
  WP: 0x20,
  DT: 0x40,
  LO: 0x80,
  CR: 0x100,
};

/** An ACE's rights as a mask; a code it does not know counts as every right, so an unknown grant is never trusted. */
function rightsMask(text: string): number {
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text.slice(2), 16);
  if (/^\d+$/.test(text)) return Number(text);
  let mask = 0;
  for (let i = 0; i < text.length; i += 2) mask |= RIGHT_CODES[text.slice(i, i + 2).toUpperCase()] ?? 0xffffffff;
  return mask >>> 0;
}

/**
 * Null when only the requester and the machine's own accounts can swap the folder; otherwise who else can, in a
 * few words for the refusal. An unreadable owner or DACL, and a NULL DACL (everyone may do anything), are refusals.
 */
export function whoElseMaySwapFolder(ownerSid: string | null, daclSddl: string | null, requesterSid: string): string | null {
  const trusted = (sid: string) => sid === requesterSid || TRUSTED_ACCOUNTS.has(sid);
  if (!ownerSid) return 'its owner could not be read';
  if (!trusted(ownerSid)) return `it is owned by ${ownerSid}`;
  if (!daclSddl) return 'its permissions could not be read';
  const dacl = /^D:([A-Z_]*)((?:\([^()]*\))*)$/.exec(daclSddl.trim());
  if (!dacl) return 'its permissions could not be read';
  // A missing DACL lets everyone do anything (an empty one, "D:", lets no one in).
  if (dacl[1]!.includes('NO_ACCESS_CONTROL')) return 'it has no access control at all';
  for (const ace of dacl[2]!.matchAll(/\(([^()]*)\)/g)) {
    const [type = '', flags = '', rights = '', , , sid = ''] = ace[1]!.split(';');
    if (!['A', 'OA', 'XA', 'ZA'].includes(type)) continue; // deny and audit entries take nothing away from this check
    const flagTokens: string[] = flags.toUpperCase().match(/../g) ?? [];
    if (flagTokens.includes('IO')) continue;
    if (trusted(sid) || PLACEHOLDER_ACCOUNTS.has(sid)) continue;
    if (rightsMask(rights) & SWAP_RIGHTS) return `${sid} may rename, delete or take it over`;
  }
  return null;
}
