import { describe, expect, it } from 'vitest';
import { whoElseMaySwapFolder } from './win32-folder-acl';

const ME = 'S-1-5-21-1111-2222-3333-1001';
const OTHER = 'S-1-5-21-1111-2222-3333-1002';
const TRUSTED_INSTALLER = 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464';

describe('whoElseMaySwapFolder', () => {
  it('accepts the folders of a default Windows profile path', () => {
    // C:\ (Windows 10/11): Authenticated Users may add folders, and get Modify only on what they create (inherit-only).
    const driveRoot = 'D:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;LC;;;AU)(A;OICIIO;SDGXGWGR;;;AU)';
    expect(whoElseMaySwapFolder(TRUSTED_INSTALLER, driveRoot, ME)).toBeNull();
    const users = 'D:PAI(A;;FA;;;SY)(A;OICIIO;GA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;;0x1200a9;;;BU)(A;OICIIO;GXGR;;;BU)(A;;0x1200a9;;;WD)(A;OICIIO;GXGR;;;WD)';
    expect(whoElseMaySwapFolder('S-1-5-18', users, ME)).toBeNull();
    expect(whoElseMaySwapFolder(ME, `D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;${ME})`, ME)).toBeNull();
  });

  it('accepts what Wine reports for a 0755 folder, and refuses its 1777 /tmp (Wine ignores the sticky bit)', () => {
    const wineMe = 'S-1-5-21-0-0-0-1000';
    expect(whoElseMaySwapFolder(wineMe, `D:(A;OICI;FA;;;SY)(A;OICI;FA;;;${wineMe})(A;OICI;0x1200a9;;;WD)`, wineMe)).toBeNull();
    expect(whoElseMaySwapFolder(wineMe, `D:(A;OICI;FA;;;SY)(A;OICI;FA;;;${wineMe})(A;OICI;0x1301ff;;;WD)`, wineMe)).toBe('WD may rename, delete or take it over');
  });

  it('refuses a folder another account owns, or whose owner or DACL cannot be read', () => {
    expect(whoElseMaySwapFolder(OTHER, `D:(A;;FA;;;${ME})`, ME)).toBe(`it is owned by ${OTHER}`);
    expect(whoElseMaySwapFolder('S-1-5-7', `D:(A;;FA;;;${ME})`, ME)).toMatch(/owned by S-1-5-7/);
    expect(whoElseMaySwapFolder(null, 'D:', ME)).toMatch(/owner could not be read/);
    expect(whoElseMaySwapFolder(ME, null, ME)).toMatch(/permissions could not be read/);
    expect(whoElseMaySwapFolder(ME, 'not sddl', ME)).toMatch(/permissions could not be read/);
    expect(whoElseMaySwapFolder(ME, 'D:NO_ACCESS_CONTROL', ME)).toMatch(/no access control/);
  });

  it('refuses each right that lets another account swap the folder, and allows adding entries', () => {
    for (const rights of ['SD', 'WD', 'WO', 'DT', 'GA', 'FA', '0x10000', '0x40', '0x1301bf', String(0x80000), 'RCSD', 'ZZ']) {
      expect(whoElseMaySwapFolder(ME, `D:(A;;${rights};;;BU)`, ME), rights).toBe('BU may rename, delete or take it over');
    }
    for (const rights of ['LC', 'CC', 'FR', 'FX', 'FW', 'GR', 'GW', '0x1200a9', '0x120116']) {
      expect(whoElseMaySwapFolder(ME, `D:(A;;${rights};;;BU)`, ME), rights).toBeNull();
    }
  });

  it('ignores inherit-only, deny and placeholder entries, and does not trust an unknown ACE form', () => {
    expect(whoElseMaySwapFolder(ME, `D:(A;OICIIO;FA;;;${OTHER})(A;CIIO;FA;;;${OTHER})(D;;FA;;;${OTHER})(A;;FA;;;CO)(A;;FA;;;OW)`, ME)).toBeNull();
    expect(whoElseMaySwapFolder(ME, `D:(OA;;SD;bf967aba-0de6-11d0-a285-00aa003049e2;;${OTHER})`, ME)).toMatch(/may rename/);
    // A conditional ACE nests parentheses: not parsed, so refused rather than trusted.
    expect(whoElseMaySwapFolder(ME, `D:(XA;;FA;;;${OTHER};(@User.Project == "x"))`, ME)).toMatch(/could not be read/);
  });
});
