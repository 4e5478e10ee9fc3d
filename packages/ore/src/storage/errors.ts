import { InputError, MantleError, OperationError, PrerequisiteError } from '@mantle/core/errors';
import { redactText } from '@mantle/core/log';

/** What went wrong with a storage call, independent of the SDK that reported it. */
export interface ServiceFailure {
  /** HTTP status when the service answered */
  status?: number | undefined;
  /** the service's error code (NoSuchBucket, ContainerNotFound, ...) or a Node errno code */
  code?: string | undefined;
  message?: string | undefined;
}

const BUCKET_MISSING = new Set(['NoSuchBucket', 'ContainerNotFound', 'BucketNotFound']);
const OBJECT_MISSING = new Set(['NoSuchKey', 'NotFound', 'BlobNotFound', 'ENOENT']);
const AUTH = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'AuthenticationFailed',
  'AuthorizationFailure',
  'AuthorizationPermissionMismatch',
  'InvalidAuthenticationInfo',
  'CredentialsProviderError',
  'Forbidden',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EPIPE',
]);

/** The context a storage error message names. */
export interface StorageErrorContext {
  /** what was being done: put, get, list, ... */
  op: string;
  /** the URL of the object or store */
  url: string;
  /** the service endpoint, for unreachable errors */
  endpoint?: string | undefined;
}

/**
 * Turn a service failure into a MantleError with a stable code and a message that names the URL.
 * Messages are built from the service's error code and redacted text, never from request headers.
 */
export function storageError(f: ServiceFailure, ctx: StorageErrorContext, cause: unknown): MantleError {
  if (cause instanceof MantleError) return cause;
  const detail = redactText(
    [
      f.code,
      f.status ? `HTTP ${f.status}` : undefined,
      f.message && f.message !== f.code ? f.message : undefined,
    ]
      .filter(Boolean)
      .join(', ')
      .slice(0, 400),
  );
  const details = { url: ctx.url, op: ctx.op, status: f.status, serviceCode: f.code };
  if (f.code && BUCKET_MISSING.has(f.code)) {
    return new InputError({
      code: 'STORAGE_BUCKET_NOT_FOUND',
      message: `${ctx.op} ${ctx.url}: the bucket/container does not exist (${detail})`,
      hint: 'check the bucket or container name in the URL, or create it first',
      cause,
      details,
    });
  }
  if ((f.code && OBJECT_MISSING.has(f.code)) || f.status === 404) {
    return new InputError({
      code: 'STORAGE_NOT_FOUND',
      message: `${ctx.op} ${ctx.url}: no such object (${detail})`,
      hint: 'check the key; list the prefix to see what exists',
      cause,
      details,
    });
  }
  if ((f.code && AUTH.has(f.code)) || f.status === 401 || f.status === 403) {
    return new PrerequisiteError({
      code: 'STORAGE_ACCESS_DENIED',
      message: `${ctx.op} ${ctx.url}: access denied (${detail})`,
      hint: 'check the credentials (key id and secret, account key, SAS token or service account) and that they may access this bucket',
      cause,
      details,
    });
  }
  if (f.code && NETWORK.has(f.code)) {
    return new OperationError({
      code: 'STORAGE_UNREACHABLE',
      message: `${ctx.op} ${ctx.url}: cannot reach ${ctx.endpoint ?? 'the storage service'} (${detail})`,
      hint: 'check the endpoint and the network; the service may be down',
      cause,
      details,
    });
  }
  if (f.code === 'NotImplemented' || f.status === 501) {
    return notSupported(
      `${ctx.op} ${ctx.url}: the service does not implement this (${detail})`,
      'use a service that supports it',
      cause,
    );
  }
  return new OperationError({
    code: 'STORAGE_OPERATION_FAILED',
    message: `${ctx.op} ${ctx.url} failed: ${detail || 'unknown error'}`,
    hint: 'retry; run with -d for the service response',
    cause,
    details,
  });
}

/** An operation the backend cannot do (e.g. per-object public access on Azure). */
export function notSupported(message: string, hint: string, cause?: unknown): InputError {
  return new InputError({ code: 'STORAGE_NOT_SUPPORTED', message, hint, cause });
}

/** A store whose credentials are missing or unusable before any request is made. */
export function missingCredentials(url: string, hint: string): PrerequisiteError {
  return new PrerequisiteError({
    code: 'STORAGE_NO_CREDENTIALS',
    message: `no credentials for ${url}`,
    hint,
  });
}
