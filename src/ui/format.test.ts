import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatMs } from './format';

describe('format', () => {
  it('bytes use binary units and round limits that sit just under a power of two', () => {
    expect(formatBytes(2 ** 31 - 4)).toBe('2 GiB');
    expect(formatBytes(32768)).toBe('32 KiB');
    expect(formatBytes(134217728)).toBe('128 MiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(500)).toBe('500 B');
  });

  it('times keep precision that suits their size and show missing values as a dash', () => {
    expect(formatMs(0.01234)).toBe('0.012');
    expect(formatMs(12.345)).toBe('12.35');
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatMs(Number.NaN)).toBe('—');
    expect(formatDuration(640)).toBe('640 ms');
    expect(formatDuration(3421)).toBe('3.4 s');
  });
});
