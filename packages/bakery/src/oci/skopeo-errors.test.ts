import { ExecError } from '@mantle/core/exec';
import { describe, expect, it } from 'vitest';
import { parseImageRef } from './reference.js';
import { skopeoError, skopeoMessage } from './skopeo-errors.js';

// The stderr lines are what skopeo 1.9 printed on this machine against a local docker-registry.
const fail = (msg: string): ExecError =>
  new ExecError({
    command: 'skopeo',
    args: ['copy'],
    exitCode: 1,
    stderr: `time="2026-11-25T18:18:57Z" level=fatal msg="${msg}"\n`,
  });
const reg = parseImageRef('127.0.0.1:5077/test/img:nope', '/w');

describe('skopeoMessage', () => {
  it('strips the logrus framing and unescapes the message', () => {
    expect(skopeoMessage('time="x" level=fatal msg="a \\"quoted\\" word"\n')).toBe('a "quoted" word');
    expect(skopeoMessage('plain line\n\n')).toBe('plain line');
  });
});

describe('skopeoError', () => {
  it.each([
    [
      'initializing source docker://127.0.0.1:5077/test/img:nope: reading manifest nope in 127.0.0.1:5077/test/img: manifest unknown: manifest unknown',
      'OCI_IMAGE_NOT_FOUND',
      1,
      /skopeo list-tags docker:\/\/127.0.0.1:5077\/test\/img'/,
    ],
    [
      'initializing source docker://127.0.0.1:5099/test/img:t: pinging container registry 127.0.0.1:5099: Get \\"http://127.0.0.1:5099/v2/\\": dial tcp 127.0.0.1:5099: connect: connection refused',
      'OCI_REGISTRY_UNREACHABLE',
      1,
      /network/,
    ],
    [
      'initializing source docker://127.0.0.1:5077/test/img:t: pinging container registry 127.0.0.1:5077: Get \\"https://127.0.0.1:5077/v2/\\": http: server gave HTTP response to HTTPS client',
      'OCI_REGISTRY_PLAIN_HTTP',
      1,
      /--no-tls-verify/,
    ],
    [
      'reading manifest t in 127.0.0.1:5078/test/img: unauthorized: authentication required',
      'OCI_AUTH',
      3,
      /--creds USER:PASSWORD or --authfile/,
    ],
    [
      'choosing an image from manifest list oci:L:multi: no image found in image index for architecture s390x, variant \\"\\", OS linux',
      'OCI_NO_PLATFORM',
      1,
      /--arch/,
    ],
    ['something new went wrong', 'OCI_PULL_FAILED', 1, /-v/],
  ])('maps %j', (msg, code, exitCode, hint) => {
    const e = skopeoError(fail(msg), '127.0.0.1:5077/test/img:nope', reg);
    expect(e).toMatchObject({ code, exitCode });
    expect(e.message).toContain('127.0.0.1:5077/test/img:nope');
    expect(e.message).not.toContain('level=fatal');
    expect(e.hint).toMatch(hint);
  });

  it('maps a missing local layout to an input error naming the path', () => {
    const ref = parseImageRef('oci:/nonexist:t', '/w');
    const e = skopeoError(
      fail('initializing source oci:/nonexist:t: open /nonexist/index.json: no such file or directory'),
      'oci:/nonexist:t',
      ref,
    );
    expect(e).toMatchObject({ code: 'OCI_BAD_LOCAL_IMAGE', exitCode: 2 });
    expect(e.hint).toMatch(/index\.json/);
    const tag = skopeoError(
      fail('initializing source oci:L:nope: no descriptor found for reference \\"nope\\"'),
      'oci:L:nope',
      parseImageRef('oci:L:nope', '/w'),
    );
    expect(tag).toMatchObject({ code: 'OCI_IMAGE_NOT_FOUND', exitCode: 1 });
    expect(tag.hint).toMatch(/index\.json names the tags/);
  });
});
