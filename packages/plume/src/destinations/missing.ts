import { PrerequisiteError } from '@mantle/core/errors';

/** The error for a destination whose cloud layer ore lacks. */
export function missingOreLayer(what: string, field: string): PrerequisiteError {
  return new PrerequisiteError({
    code: 'PLUME_ORE_LAYER_MISSING',
    message: `${what}: @mantle/ore has no API for this yet, so plume cannot publish to it`,
    hint: `remove ${field} from the channel in the release spec (--spec FILE) until ore provides it`,
    details: { field },
  });
}
