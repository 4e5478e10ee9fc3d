import { InputError, MantleError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import { ExecError, tailLines } from '@mantle/core/exec';
import type { ImageRef } from './reference.js';

// skopeo reports every failure as exit 1 with a logrus line on stderr. Turn the common ones into
// errors that name IMAGE, say what happened in a sentence and give the way out; the skopeo text
// stays in the message because its wording (manifest unknown, connection refused) is what people
// search for.

/** What skopeo said, without the logrus framing: `time="..." level=fatal msg="..."` → the msg. */
export function skopeoMessage(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const out = lines.map((line) => {
    const m = /level=(?:fatal|error)\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (!m?.[1]) return line;
    try {
      return JSON.parse(`"${m[1]}"`) as string;
    } catch {
      return m[1];
    }
  });
  return tailLines(out.join('\n'), 8)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

const LOCAL_KIND: Record<string, string> = {
  oci: 'an OCI image layout (a directory with index.json)',
  'oci-archive': 'an OCI layout in a tar archive (skopeo copy ... oci-archive:FILE)',
  'docker-archive': 'a docker save archive (with manifest.json)',
  dir: 'a directory written by skopeo copy ... dir:DIR',
};

/** Map a failed `skopeo inspect`/`skopeo copy` of IMAGE to a clear error. */
export function skopeoError(err: unknown, image: string, ref: ImageRef): MantleError {
  if (!(err instanceof ExecError) || err.timedOut || err.signal)
    return err instanceof MantleError
      ? err
      : new OperationError({
          code: 'OCI_PULL_FAILED',
          message: `could not fetch ${image}: ${String(err)}`,
          cause: err,
        });
  const said = skopeoMessage(err.stderrTail);
  const base = { cause: err, details: { image, transport: ref.transport } };
  const what = `${image}${said ? `: ${said}` : ''}`;
  const repo = ref.repository ?? image;

  if (/server gave HTTP response to HTTPS client/i.test(said)) {
    return new OperationError({
      ...base,
      code: 'OCI_REGISTRY_PLAIN_HTTP',
      message: `the registry of ${what}`,
      hint: 'it speaks plain HTTP: pass --no-tls-verify (only for a registry you trust, e.g. a local one)',
    });
  }
  if (/x509:|certificate (?:signed by unknown|is not valid|has expired)|tls: /i.test(said)) {
    return new OperationError({
      ...base,
      code: 'OCI_REGISTRY_TLS',
      message: `the TLS certificate of the registry of ${what}`,
      hint: "install the registry's CA certificate, or pass --no-tls-verify for a registry you trust",
    });
  }
  if (/no image found in (?:manifest list|image index) for architecture/i.test(said)) {
    return new OperationError({
      ...base,
      code: 'OCI_NO_PLATFORM',
      message: `no image for this architecture in ${what}`,
      hint: 'pass --arch x86-64 or --arch arm64 for one the image has (skopeo inspect --raw lists them)',
    });
  }
  if (
    /unauthorized|authentication required|invalid username\/password|incorrect username or password/i.test(
      said,
    )
  ) {
    return new PrerequisiteError({
      ...base,
      code: 'OCI_AUTH',
      message: `the registry refused access to ${what}`,
      hint: 'pass --creds USER:PASSWORD or --authfile FILE (as written by podman/skopeo login) with credentials for this registry',
    });
  }
  if (/getting username and password|reading JSON file|unmarshaling JSON/i.test(said)) {
    return new InputError({
      ...base,
      code: 'OCI_BAD_AUTHFILE',
      message: `the credentials for ${what}`,
      hint: 'fix --authfile: it must be JSON like {"auths":{"REGISTRY":{"auth":"BASE64(USER:PASSWORD)"}}}',
    });
  }
  if (
    /manifest unknown|name unknown|repository name not known|no descriptor found for reference|not found|requested access to the resource is denied/i.test(
      said,
    ) &&
    !/no such file or directory/i.test(said)
  ) {
    const hint =
      ref.transport === 'docker'
        ? `check the name and the tag or digest; 'skopeo list-tags ${ref.skopeo.replace(/[:@][^/]*$/, '')}' lists the tags${/denied/i.test(said) ? ' (a private repository also needs --creds or --authfile)' : ''}`
        : ref.transport === 'oci' || ref.transport === 'oci-archive'
          ? `check the tag after the path; 'skopeo inspect ${ref.transport}:${ref.path ?? ''}' or the layout's index.json names the tags`
          : 'check the reference after the path';
    return new OperationError({
      ...base,
      code: 'OCI_IMAGE_NOT_FOUND',
      message: `image not found: ${what}`,
      hint,
    });
  }
  if (
    /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|dial tcp|TLS handshake timeout|connection reset|server misbehaving|EOF$/im.test(
      said,
    )
  ) {
    return new OperationError({
      ...base,
      code: 'OCI_REGISTRY_UNREACHABLE',
      message: `cannot reach the registry of ${what}`,
      hint: `check that the registry in ${repo} is right and running, and your network and proxy settings (HTTPS_PROXY)`,
    });
  }
  if (/policy\.json/i.test(said) && /no such file/i.test(said)) {
    return new PrerequisiteError({
      ...base,
      code: 'OCI_NO_POLICY',
      message: `skopeo has no signature policy: ${said}`,
      hint: 'install the containers configuration: apt-get install golang-github-containers-common (it provides /etc/containers/policy.json)',
    });
  }
  if (
    ref.path !== undefined &&
    /no such file or directory|not a directory|is a directory|file does not exist|invalid tar|archive\/tar|unexpected EOF/i.test(
      said,
    )
  ) {
    return new InputError({
      ...base,
      code: 'OCI_BAD_LOCAL_IMAGE',
      message: `${ref.transport} image ${what}`,
      hint: `give the path of ${LOCAL_KIND[ref.transport] ?? 'an image'}`,
    });
  }
  return new OperationError({
    ...base,
    code: 'OCI_PULL_FAILED',
    message: `could not fetch ${what}`,
    hint: 'run with -v to see the skopeo command; check IMAGE and the options',
  });
}
