// The change-feed event in probewatch's own JSON shape: a header whose `id` deduplicates, the address, and the profile.
import type { SourceProfile } from '../../domain/profile.ts';
import type { FeedEntry } from '../../domain/queries.ts';

/** Event header shared by every feed format. */
export interface FeedEventHeader {
  /** "IP:VERSION": the same state of a source always has the same id (the dedup key). */
  id: string;
  action: 'profile-updated' | 'profile-deleted';
  sequence: number;
  created: string;
  changes: string[];
}

/** One feed event (openapi.yaml FeedEvent). */
export interface FeedEvent {
  event: FeedEventHeader;
  ip: string;
  version: number;
  profile: SourceProfile | null;
}

/** A feed entry resolved against the store: the profile as it is now, or null when the source is gone. */
export interface ResolvedEntry {
  entry: FeedEntry;
  profile: SourceProfile | null;
  version: number;
}

/** The event id of a state of a source. */
export function eventId(ip: string, version: number): string {
  return `${ip}:${version}`;
}

/** Builds the header of a resolved entry. */
export function eventHeader(r: ResolvedEntry): FeedEventHeader {
  return header(r.entry, r.version, r.profile !== null);
}

function header(entry: FeedEntry, version: number, exists: boolean): FeedEventHeader {
  return {
    id: eventId(entry.ip, version),
    action: exists ? 'profile-updated' : 'profile-deleted',
    sequence: entry.seq,
    created: new Date(entry.time).toISOString(),
    changes: entry.kinds,
  };
}

/**
 * One NDJSON line of the feed event, with the profile given as its serialised body (a stored one, or the API's
 * serializer's output; null when the source is gone): the same fields, in the same order, as JSON.stringify(feedEvent).
 */
export function feedEventLine(entry: FeedEntry, version: number, profileJson: string | null): string {
  return `{"event":${JSON.stringify(header(entry, version, profileJson !== null))},"ip":${JSON.stringify(entry.ip)},"version":${version},"profile":${profileJson ?? 'null'}}\n`;
}

/** The JSON feed event. */
export function feedEvent(r: ResolvedEntry): FeedEvent {
  return { event: eventHeader(r), ip: r.entry.ip, version: r.version, profile: r.profile };
}
