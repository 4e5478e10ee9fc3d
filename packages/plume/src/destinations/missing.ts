import { PrerequisiteError } from '@mantle/core/errors';

/**
 * The cloud operations plume needs from ore that ore does not provide yet. A spec that uses
 * one fails before any step runs (exit 3), naming the spec field to drop meanwhile.
 */
export const MISSING_ORE_LAYERS = {
  gce: 'GCE images (images.insert from a GCS object, family, deprecate, delete, public IAM)',
  azureGallery: 'Azure gallery image versions (Azure Resource Manager)',
  awsSnapshotPublic: 'public snapshot permission (ModifySnapshotAttribute createVolumePermission)',
} as const;

/** The error for a destination whose cloud layer ore lacks. */
export function missingOreLayer(what: string, field: string): PrerequisiteError {
  return new PrerequisiteError({
    code: 'PLUME_ORE_LAYER_MISSING',
    message: `${what}: @mantle/ore has no API for this yet, so plume cannot publish to it`,
    hint: `remove ${field} from the channel in the release spec (--spec FILE) until ore provides it`,
    details: { field },
  });
}
