// Whether a container must be provisioned before it starts (create + podman cp + start), or can
// be one `podman run`. Its own module: the launch's fast path must not load the provisioning code.

/** True when a container needs provisioning before it starts. */
export function needsProvisioning(
  c: { base_container?: string | null; check_host_dependencies?: boolean | null },
  include: { tar?: string[] | null; path?: string[] | null } | null | undefined,
): boolean {
  return Boolean(
    c.base_container || c.check_host_dependencies || include?.tar?.length || include?.path?.length,
  );
}
