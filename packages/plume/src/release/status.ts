import type { ObjectStore } from '@mantle/ore/storage';
import { readJournal, type JournalData } from '../journal/journal.js';
import { journalKey } from '../journal/state.js';
import type { ReleaseId } from '../spec/resolve.js';

export interface CommandStatus {
  state: 'not run' | 'unfinished' | 'finished';
  started?: string;
  finished?: string;
  journal: string;
  steps: { id: string; status: string; done?: string; result?: unknown }[];
}

/** Who may use an AMI (as the release recorded it). */
interface Permission {
  public: boolean;
  users: string[];
}

/** What was published where, from the steps' recorded results. */
interface Published {
  /** per region: the AMI and, once released, its launch and snapshot create-volume permissions */
  aws: {
    partition: string;
    region: string;
    imageId: string;
    state: 'private' | 'public';
    launch?: Permission;
    createVolume?: Permission;
  }[];
  /** the tarball staged by pre-release; the image, its family and the family's rotation by release */
  gce?: {
    staged?: string;
    image?: string;
    family?: string;
    deprecated?: string[];
    deleted?: string[];
  };
  /** the page blob uploaded by pre-release; the gallery image version and its sharing by release */
  azure?: {
    blob?: string;
    galleryVersion?: string;
    /** true once the gallery is shared as a community gallery (its versions are public) */
    shared: boolean;
    publicNames?: string[];
    /** the public id of the version in the community gallery */
    communityVersion?: string;
  };
}

export interface ReleaseStatus extends ReleaseId {
  preRelease: CommandStatus;
  release: CommandStatus;
  published: Published;
}

const doneResult = (data: JournalData | undefined, id: string): unknown =>
  data?.steps[id]?.status === 'done' ? data.steps[id].result : undefined;

/** The AMIs, GCE image and Azure blob/gallery version the journals' results name (release results win over pre-release ones). */
function publishedOf(pre: JournalData | undefined, rel: JournalData | undefined): Published {
  const out: Published = { aws: [] };
  const seen = new Set<string>();
  for (const id of rel?.order ?? []) {
    const m = /^aws:(.+):([^:]+):public$/.exec(id);
    const r = doneResult(rel, id) as
      { imageId: string; permissions?: { launch: Permission; createVolume: Permission } } | undefined;
    if (!m || !r) continue;
    seen.add(`${m[1]}/${m[2]}`);
    out.aws.push({
      partition: m[1]!,
      region: m[2]!,
      imageId: r.imageId,
      state: 'public',
      ...(r.permissions ? { launch: r.permissions.launch, createVolume: r.permissions.createVolume } : {}),
    });
  }
  for (const id of pre?.order ?? []) {
    const m = /^aws:(.+):replicate$/.exec(id);
    const amis = doneResult(pre, id) as Record<string, string> | undefined;
    if (!m || !amis) continue;
    for (const [region, imageId] of Object.entries(amis))
      if (!seen.has(`${m[1]}/${region}`))
        out.aws.push({ partition: m[1]!, region, imageId, state: 'private' });
  }
  const staged = doneResult(pre, 'gce:stage') as { object: string } | undefined;
  const image = doneResult(rel, 'gce:image') as { image: string; family: string } | undefined;
  const family = doneResult(rel, 'gce:family') as { deprecated: string[]; deleted: string[] } | undefined;
  if (staged || image)
    out.gce = {
      ...(staged ? { staged: staged.object } : {}),
      ...(image ? { image: image.image, family: image.family } : {}),
      ...(family ? { deprecated: family.deprecated, deleted: family.deleted } : {}),
    };
  const uploaded = doneResult(pre, 'azure:upload') as { blob: string } | undefined;
  const published = doneResult(rel, 'azure:publish') as { blob: string; galleryVersion?: string } | undefined;
  const community = doneResult(rel, 'azure:community') as
    { publicNames: string[]; communityVersion?: string } | undefined;
  if (uploaded || published) {
    const blob = published?.blob ?? uploaded?.blob;
    out.azure = {
      ...(blob ? { blob } : {}),
      ...(published?.galleryVersion ? { galleryVersion: published.galleryVersion } : {}),
      shared: !!community,
      ...(community ? { publicNames: community.publicNames } : {}),
      ...(community?.communityVersion ? { communityVersion: community.communityVersion } : {}),
    };
  }
  return out;
}

function summarize(store: ObjectStore, key: string, data: JournalData | undefined): CommandStatus {
  if (!data) return { state: 'not run', journal: `${store.root}${key}`, steps: [] };
  return {
    state: data.finished ? 'finished' : 'unfinished',
    started: data.started,
    ...(data.finished ? { finished: data.finished } : {}),
    journal: `${store.root}${key}`,
    steps: data.order.map((id) => {
      const s = data.steps[id]!;
      return {
        id,
        status: s.status,
        ...(s.done ? { done: s.done } : {}),
        ...(s.result !== undefined ? { result: s.result } : {}),
      };
    }),
  };
}

/** What the journals say was published where for one release. */
export async function releaseStatus(state: ObjectStore, id: ReleaseId): Promise<ReleaseStatus> {
  const pk = journalKey('pre-release', id);
  const rk = journalKey('release', id);
  const pre = await readJournal(state, pk);
  const rel = await readJournal(state, rk);
  return {
    ...id,
    preRelease: summarize(state, pk, pre),
    release: summarize(state, rk, rel),
    published: publishedOf(pre, rel),
  };
}
