/**
 * The table's lookup in the clinic database (with `--clinic-db`): a client's record with every room's sessions and
 * readings for `GET /api/clients/:id`, and the clinic's uid and note for a client just made here under a name the
 * clinic knows. Never waits long: the clinic is asked for at most `timeoutMs`, and a clinic that does not answer
 * leaves the table with its own record (the page says so).
 */

import { adoptClinicClient, clientByUid, clientUidOf, readingIdsByKey, storeUid } from '../store/outbox.js';
import type { SessionStore } from '../store/session-store.js';
import type { TimelineOptions } from '../tracking/timeline.js';
import type { ClinicDb } from './pg.js';
import { type ClinicClientRecord, clinicClientByName, clinicClientRecord } from './records.js';

/** What the clinic said of a client's record: the record, not (yet) known there, or no answer. */
export type ClinicAnswer =
  | { readonly kind: 'record'; readonly record: ClinicClientRecord }
  | { readonly kind: 'not-yet' }
  | { readonly kind: 'unreachable' };

export interface ClinicLookup {
  record(clientId: number, options: TimelineOptions): Promise<ClinicAnswer>;
  /** a client was just made here: takes the clinic's uid and note when it knows the name (and answers in time) */
  created(clientId: number): Promise<void>;
}

export function clinicLookup(
  store: SessionStore,
  db: () => ClinicDb | undefined,
  options: { readonly timeoutMs?: number; readonly reachable?: () => boolean } = {},
): ClinicLookup {
  const timeoutMs = options.timeoutMs ?? 2000;
  const inTime = <T>(work: Promise<T>): Promise<T | 'timeout'> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  };
  return {
    async record(clientId, timeline) {
      const pool = db();
      const uid = clientUidOf(store, clientId);
      if (!pool || uid === null || options.reachable?.() === false) return { kind: 'unreachable' };
      try {
        const answer = await inTime(
          clinicClientRecord(pool, uid, {
            ...timeline,
            storeUid: storeUid(store),
            localClientId: clientId,
            localReadings: readingIdsByKey(store, clientId),
          }),
        );
        if (answer === 'timeout') return { kind: 'unreachable' };
        return answer === undefined ? { kind: 'not-yet' } : { kind: 'record', record: answer };
      } catch {
        return { kind: 'unreachable' };
      }
    },
    async created(clientId) {
      const pool = db();
      const uid = clientUidOf(store, clientId);
      if (!pool || uid === null || options.reachable?.() === false) return;
      const local = clientByUid(store, uid);
      if (!local) return;
      try {
        const found = await inTime(clinicClientByName(pool, local.name));
        if (found === 'timeout' || found === undefined) return;
        adoptClinicClient(
          store,
          uid,
          // the clinic's person: its uid and note (the name is the same)
          { uid: found.uid, name: found.name, note: found.note, editedAt: found.editedAt },
          local.editedAt,
        );
      } catch {
        // not reachable after all: rule 1 reconciles at the next sync
      }
    },
  };
}
