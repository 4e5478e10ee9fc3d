/**
 * `--dry-run` of every cloud group: one wording, so `ore aws|gcloud|azure|do|openstack` promise the
 * same thing (print the calls, answer reads empty, touch nothing).
 */
export const dryRunOption = {
  type: 'boolean',
  default: false,
  describe: 'print the API calls it would make (reads answered empty); touch nothing',
} as const;
