// Validation shared by the logit kernels. Every message names the value and the allowed range.
import { KernelInputError } from '../../gpu/errors';
import { MAX_INPUTS, MAX_ROWS, MAX_VOCAB } from './layout';

export interface LogitShape {
  rows: number;
  vocab: number;
}

function isInt(value: number): boolean {
  return Number.isInteger(value);
}

export function checkShape({ rows, vocab }: LogitShape): void {
  if (!isInt(vocab) || vocab <= 0 || vocab > MAX_VOCAB) {
    throw new KernelInputError(`vocab must be an integer in 1..${MAX_VOCAB}, got ${vocab}`);
  }
  if (!isInt(rows) || rows <= 0 || rows > MAX_ROWS) {
    throw new KernelInputError(`rows (batch) must be an integer in 1..${MAX_ROWS}, got ${rows}`);
  }
}

export function checkBuffer(buffer: GPUBuffer, bytes: number, name: string): void {
  if (buffer.size < bytes) {
    throw new KernelInputError(
      `${name} buffer "${buffer.label}" has ${buffer.size} bytes but the shape needs ${bytes}`,
    );
  }
  if (!(buffer.usage & GPUBufferUsage.STORAGE)) {
    throw new KernelInputError(`${name} buffer "${buffer.label}" lacks STORAGE usage`);
  }
}

export function checkTemperature(temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new KernelInputError(`temperature must be a finite number > 0, got ${temperature}`);
  }
}

export function checkTopK(topK: number): void {
  if (!isInt(topK) || topK < 0 || topK > MAX_VOCAB) {
    throw new KernelInputError(
      `top-k must be an integer in 1..${MAX_VOCAB} (or 0 to turn it off), got ${topK}`,
    );
  }
}

export function checkTopP(topP: number): void {
  if (!(topP > 0 && topP <= 1)) {
    throw new KernelInputError(`top-p must satisfy 0 < top_p <= 1 (1 turns it off), got ${topP}`);
  }
}

export function checkMinP(minP: number): void {
  if (!(minP >= 0 && minP <= 1)) {
    throw new KernelInputError(`min-p must satisfy 0 <= min_p <= 1 (0 turns it off), got ${minP}`);
  }
}

export function checkBeta(beta: number): void {
  if (!(beta >= 0 && beta <= 1)) {
    throw new KernelInputError(`plausibility beta must satisfy 0 <= beta <= 1 (0 turns it off), got ${beta}`);
  }
}

export function checkWeights(weights: readonly number[]): void {
  if (weights.length < 1 || weights.length > MAX_INPUTS) {
    throw new KernelInputError(
      `contrastive combination takes 1..${MAX_INPUTS} inputs, got ${weights.length}`,
    );
  }
  weights.forEach((w, j) => {
    if (!Number.isFinite(w)) throw new KernelInputError(`weight ${j} must be finite, got ${w}`);
  });
  if (weights.every((w) => w === 0)) {
    throw new KernelInputError('at least one contrastive weight must be non-zero, got all zeros');
  }
}

export function checkBaseInput(baseInput: number, inputs: number): void {
  if (!isInt(baseInput) || baseInput < 0 || baseInput >= inputs) {
    throw new KernelInputError(`base input must be an index in 0..${inputs - 1}, got ${baseInput}`);
  }
}

export function checkU32(value: number, name: string): void {
  if (!isInt(value) || value < 0 || value > 0xffffffff) {
    throw new KernelInputError(`${name} must be an integer in 0..2^32-1, got ${value}`);
  }
}

export function checkDraws(draws: number): void {
  if (!isInt(draws) || draws < 1 || draws > 65_535) {
    throw new KernelInputError(`draws must be an integer in 1..65535, got ${draws}`);
  }
}
