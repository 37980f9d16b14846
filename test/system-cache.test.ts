import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpace4aiSystem } from '../adapters/space4ai/system.js';
import { parsedSystem } from '../server/grpc/convert.js';
import { projectRoot } from '../server/paths.js';

const TEXT = readFileSync(join(projectRoot(), 'instances/space4ai/instances/Strict/7-components/system_description3.json'), 'utf8');
/** the same system at another load: another text */
const atLoad = (lambda: number) => JSON.stringify({ ...JSON.parse(TEXT), Lambda: lambda });

describe('the cache of parsed SPACE4AI systems', () => {
  it('answers the same text with the same system, equal to a fresh parse, frozen against change', () => {
    const first = parsedSystem(TEXT);
    // a new string with the same characters is the same text
    expect(parsedSystem(`${TEXT}x`.slice(0, -1))).toBe(first);
    expect(first).toEqual(parseSpace4aiSystem(TEXT));
    expect(Object.isFrozen(first.components[0])).toBe(true);
    expect(() => { (first as { lambda: number }).lambda = 9; }).toThrow(TypeError);
    expect(parsedSystem(TEXT).lambda).toBe(parseSpace4aiSystem(TEXT).lambda);
  });

  it('keeps the 32 texts used last, and keeps no text that fails', () => {
    const first = parsedSystem(atLoad(0.5));
    for (let i = 1; i <= 32; i++) parsedSystem(atLoad(0.5 + i / 100));
    // 33 distinct texts since: the first was dropped, a recent one kept
    expect(parsedSystem(atLoad(0.5))).not.toBe(first);
    expect(parsedSystem(atLoad(0.82))).toBe(parsedSystem(atLoad(0.82)));
    expect(parsedSystem(atLoad(0.5)).lambda).toBe(0.5);
    const bad = '{"Components": 1}';
    expect(() => parsedSystem(bad)).toThrow();
    expect(() => parsedSystem(bad)).toThrow();
  });
});
