import { InputError } from '../errors/mantle-error.js';
import { readGpt, toGptSpec, writeGpt, type GptPartition, type GptTable } from './gpt/index.js';

// Flatcar boots /usr from USR-A or USR-B. The choice lives in the GPT attribute bits the ChromeOS
// cgpt tool defined and GRUB's gptprio module reads: bits 48-51 priority (0-15), 52-55 tries left
// (0-15), 56 successful. update_engine sets the new partition to a higher priority with tries=1;
// a boot that comes up marks it successful.

export const USR_PRIORITY_SHIFT = 48;
export const USR_TRIES_SHIFT = 52;
export const USR_SUCCESSFUL_BIT = 56;

export type UsrLabel = 'USR-A' | 'USR-B';
export const USR_LABELS: readonly UsrLabel[] = ['USR-A', 'USR-B'];

/** The A/B boot bits of one partition. */
export interface UsrAttrs {
  priority: number;
  tries: number;
  successful: boolean;
}

/** One USR partition and its A/B bits. */
export interface UsrSlot extends UsrAttrs {
  label: UsrLabel;
  number: number;
  uuid: string;
  attributes: bigint;
}

/** Both USR slots of an image and what GRUB would boot. */
export interface UsrState {
  file: string;
  slots: UsrSlot[];
  /** the slot GRUB's gptprio picks next: highest priority among slots that have tries left or are successful */
  next: UsrLabel | undefined;
  /** the highest-priority slot marked successful: the last known good /usr */
  active: UsrLabel | undefined;
}

/** Decode the A/B bits of an attribute value. */
export function decodeUsrAttrs(attributes: bigint): UsrAttrs {
  return {
    priority: Number((attributes >> BigInt(USR_PRIORITY_SHIFT)) & 0xfn),
    tries: Number((attributes >> BigInt(USR_TRIES_SHIFT)) & 0xfn),
    successful: ((attributes >> BigInt(USR_SUCCESSFUL_BIT)) & 1n) === 1n,
  };
}

/** Replace the A/B bits given in `change` in an attribute value, keeping every other bit. */
export function encodeUsrAttrs(attributes: bigint, change: Partial<UsrAttrs>): bigint {
  let v = attributes;
  if (change.priority !== undefined)
    v = setField(v, USR_PRIORITY_SHIFT, 4, checkNibble('priority', change.priority));
  if (change.tries !== undefined) v = setField(v, USR_TRIES_SHIFT, 4, checkNibble('tries', change.tries));
  if (change.successful !== undefined) v = setField(v, USR_SUCCESSFUL_BIT, 1, change.successful ? 1 : 0);
  return v;
}

/** The USR A/B state of a table (already read). */
export function usrStateOf(table: Pick<GptTable, 'file' | 'partitions'>): UsrState {
  const slots: UsrSlot[] = [];
  for (const label of USR_LABELS) {
    const p = table.partitions.find((q) => q.name === label);
    if (p) slots.push(slotOf(label, p));
  }
  return { file: table.file, slots, next: nextUsr(slots), active: activeUsr(slots) };
}

/** Read the USR A/B state of an image file. */
export async function readUsrState(file: string): Promise<UsrState> {
  return usrStateOf(await readGpt(file));
}

/**
 * Which slot boots next, as GRUB's gptprio.next decides: the highest priority (> 0) among slots
 * with tries left or marked successful; on equal priority the lower partition number wins.
 */
export function nextUsr(state: Pick<UsrState, 'slots'> | readonly UsrSlot[]): UsrLabel | undefined {
  const slots = Array.isArray(state)
    ? (state as readonly UsrSlot[])
    : (state as Pick<UsrState, 'slots'>).slots;
  let best: UsrSlot | undefined;
  for (const s of [...slots].sort((a, b) => a.number - b.number)) {
    if (s.priority === 0 || (s.tries === 0 && !s.successful)) continue;
    if (!best || s.priority > best.priority) best = s;
  }
  return best?.label;
}

function activeUsr(slots: readonly UsrSlot[]): UsrLabel | undefined {
  let best: UsrSlot | undefined;
  for (const s of [...slots].sort((a, b) => a.number - b.number)) {
    if (!s.successful || s.priority === 0) continue;
    if (!best || s.priority > best.priority) best = s;
  }
  return best?.label;
}

/** Set priority/tries/successful of USR-A or USR-B in an image; rewrites both GPT copies. */
export async function setUsrAttrs(
  file: string,
  label: UsrLabel,
  change: Partial<UsrAttrs>,
): Promise<UsrState> {
  if (!USR_LABELS.includes(label)) {
    throw new InputError({
      code: 'USR_BAD_LABEL',
      message: `${label} is not a USR partition label`,
      hint: 'use USR-A or USR-B',
    });
  }
  // Validate the values before touching the file.
  encodeUsrAttrs(0n, change);
  const table = await readGpt(file);
  const part = table.partitions.find((p) => p.name === label);
  if (!part) {
    throw new InputError({
      code: 'USR_PARTITION_MISSING',
      message: `${file} has no partition labelled ${label}`,
      hint: 'is this a Flatcar disk image? `ore image info` lists its partitions',
      details: { file, label },
    });
  }
  const spec = toGptSpec(table);
  spec.partitions = spec.partitions.map((p) =>
    p.number === part.number ? { ...p, attributes: encodeUsrAttrs(p.attributes ?? 0n, change) } : p,
  );
  const written = await writeGpt(file, spec);
  return usrStateOf(written);
}

function slotOf(label: UsrLabel, p: GptPartition): UsrSlot {
  return { label, number: p.number, uuid: p.uuid, attributes: p.attributes, ...decodeUsrAttrs(p.attributes) };
}

function setField(v: bigint, shift: number, bits: number, value: number): bigint {
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  return (v & ~mask) | (BigInt(value) << BigInt(shift));
}

function checkNibble(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 15) {
    throw new InputError({
      code: 'USR_BAD_ATTR',
      message: `${field} ${value} is out of range: it must be a whole number 0-15`,
      hint: `pass a ${field} between 0 and 15`,
      details: { field, value },
    });
  }
  return value;
}
