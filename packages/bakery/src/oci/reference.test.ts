import { describe, expect, it } from 'vitest';
import { parseImageRef, pinnedDockerRef } from './reference.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseImageRef', () => {
  it('reads bare names as registry references, with docker.io as the default registry', () => {
    expect(parseImageRef('alpine:latest', '/w')).toEqual({
      transport: 'docker',
      skopeo: 'docker://alpine:latest',
      repository: 'alpine',
      registry: 'docker.io',
      tag: 'latest',
    });
    expect(parseImageRef('library/debian', '/w')).toMatchObject({
      skopeo: 'docker://library/debian',
      registry: 'docker.io',
      repository: 'library/debian',
    });
    expect(parseImageRef('127.0.0.1:5000/test/img:t', '/w')).toMatchObject({
      skopeo: 'docker://127.0.0.1:5000/test/img:t',
      registry: '127.0.0.1:5000',
      repository: '127.0.0.1:5000/test/img',
      tag: 't',
    });
    expect(parseImageRef('localhost/x', '/w')).toMatchObject({ registry: 'localhost' });
    expect(parseImageRef(`ghcr.io/a/b@${D}`, '/w')).toMatchObject({
      registry: 'ghcr.io',
      repository: 'ghcr.io/a/b',
      digest: D,
    });
    expect(parseImageRef(`quay.io/a/b:v1.2@${D}`, '/w')).toMatchObject({ tag: 'v1.2', digest: D });
  });

  it('takes docker:// references as they are', () => {
    expect(parseImageRef('docker://localhost:5000/x:1', '/w')).toMatchObject({
      transport: 'docker',
      skopeo: 'docker://localhost:5000/x:1',
      registry: 'localhost:5000',
      tag: '1',
    });
    expect(parseImageRef('docker://oci:latest', '/w')).toMatchObject({
      transport: 'docker',
      repository: 'oci',
      tag: 'latest',
    });
  });

  it('resolves local transports against cwd and keeps what follows the path', () => {
    expect(parseImageRef('oci:layout:t', '/w')).toEqual({
      transport: 'oci',
      skopeo: 'oci:/w/layout:t',
      path: '/w/layout',
      ref: 't',
    });
    expect(parseImageRef('oci:/abs/l', '/w')).toEqual({
      transport: 'oci',
      skopeo: 'oci:/abs/l',
      path: '/abs/l',
    });
    expect(parseImageRef('oci-archive:../a.tar:v1', '/w/x')).toMatchObject({
      transport: 'oci-archive',
      skopeo: 'oci-archive:/w/a.tar:v1',
      path: '/w/a.tar',
    });
    expect(parseImageRef('docker-archive:a.tar:img:1', '/w')).toMatchObject({
      transport: 'docker-archive',
      skopeo: 'docker-archive:/w/a.tar:img:1',
      ref: 'img:1',
    });
    expect(parseImageRef('dir:some/dir', '/w')).toEqual({
      transport: 'dir',
      skopeo: 'dir:/w/some/dir',
      path: '/w/some/dir',
    });
  });

  it.each([
    ['', /empty or contains whitespace/],
    ['alp ine', /whitespace/],
    ['Alpine', /"Alpine" is not a valid repository name component/],
    ['alpine:', /"" is not a valid tag/],
    ['alpine:-x', /"-x" is not a valid tag/],
    ['alpine@sha256:abc', /is not a digest/],
    ['docker://', /names no image/],
    ['docker:alpine', /written docker:\/\/NAME/],
    ['containers-storage:alpine', /containers-storage transport is not supported/],
    ['oci:', /names no path/],
    ['oci:l:', /nothing follows the ':'/],
    ['bad_host.example:x/y', /not a registry host/],
    ['-rf', /"-rf" is not a valid repository name component/],
  ])('refuses %j with a usage error naming IMAGE', (input, msg) => {
    let err: unknown;
    try {
      parseImageRef(input, '/w');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'OCI_BAD_REFERENCE', exitCode: 2 });
    expect((err as Error).message).toMatch(/^IMAGE /);
    expect((err as Error).message).toMatch(msg);
  });
});

describe('pinnedDockerRef', () => {
  it('replaces the tag of a registry reference with the digest and leaves local ones alone', () => {
    expect(pinnedDockerRef(parseImageRef('127.0.0.1:5000/a/b:t', '/w'), D)).toBe(
      `docker://127.0.0.1:5000/a/b@${D}`,
    );
    expect(pinnedDockerRef(parseImageRef('oci:/l:t', '/w'), D)).toBe('oci:/l:t');
  });
});
