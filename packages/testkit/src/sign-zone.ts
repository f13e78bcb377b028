import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { daemonDir } from './daemon.js';

const run = promisify(execFile);

export interface SignZoneOptions {
  /** The zone's origin, e.g. 'signed.example.' */
  origin: string;
  /** The unsigned zone in master file format. */
  zone: string;
  /** NSEC3 (RFC 5155) denial instead of NSEC; with 0 extra iterations and no salt (RFC 9276). */
  nsec3?: boolean;
  /** NSEC3 opt-out flag. */
  optOut?: boolean;
}

export interface SignedZone {
  /** The signed zone (master file format), RRSIG/NSEC(3)/DNSKEY added. */
  readonly text: string;
  /** The KSK's DS record, for the parent. */
  readonly ds: string;
}

/**
 * Signs a zone with ldns-keygen and ldns-signzone (ECDSA P-256, a KSK and a ZSK, signatures valid
 * for ldns's default four weeks). Nothing in the tests validates: the signed zone gives real
 * RRSIG, NSEC and NSEC3 records for a resolver to pass on.
 */
export async function signZone(opts: SignZoneOptions): Promise<SignedZone> {
  const origin = opts.origin.endsWith('.') ? opts.origin : `${opts.origin}.`;
  const dir = daemonDir('sign');
  try {
    const keygen = async (ksk: boolean) => (await run('ldns-keygen', [
      '-a', 'ECDSAP256SHA256', ...(ksk ? ['-k'] : []), '-r', '/dev/urandom', origin,
    ], { cwd: dir })).stdout.trim();
    const ksk = await keygen(true);
    const zsk = await keygen(false);
    writeFileSync(join(dir, 'zone'), opts.zone.endsWith('\n') ? opts.zone : `${opts.zone}\n`);
    const nsec3 = opts.nsec3 === true ? ['-n', '-a', '1', '-t', '0', ...(opts.optOut === true ? ['-p'] : [])] : [];
    await run('ldns-signzone', [...nsec3, '-o', origin, '-f', 'signed', 'zone', zsk, ksk], { cwd: dir });
    return { text: readFileSync(join(dir, 'signed'), 'utf8'), ds: readFileSync(join(dir, `${ksk}.ds`), 'utf8').trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
