import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cachedYaml, cacheYaml } from '../../src/config/parse-cache';
import { parseWorkspace } from '../../src/config/load';
import { UserInputError } from '../../src/config/errors';

const dir = mkdtempSync(path.join(tmpdir(), 'outflow-parse-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the parsed-YAML cache', () => {
  it('gives back exactly what was parsed, and nothing for other text', () => {
    const text = 'a: [1, "two", {b: null, c: true}]\nd: 1.5\n';
    expect(cachedYaml(text, dir)).toBeUndefined();
    cacheYaml(text, parse(text), dir);
    expect(cachedYaml(text, dir)).toEqual(parse(text));
    expect(cachedYaml(`${text} `, dir)).toBeUndefined();
  });

  it('keeps only what JSON holds exactly, and never an environment value', () => {
    for (const text of ['a: .inf', 'a: .nan', 'a: -0.0', 'a: !!binary aGk=', 'a: !!timestamp 2001-12-14', 'a: !!set {x}']) {
      cacheYaml(text, parse(text), dir);
      expect(cachedYaml(text, dir), text).toBeUndefined();
    }
    const text = 'warehouse: {connectionString: "postgres://u:${env:PG_SECRET}@h/db"}';
    cacheYaml(text, parse(text), dir);
    const stored = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
    expect(stored).toContain('${env:PG_SECRET}');
  });

  it('a workspace read from the cache still places its problems by line and column', () => {
    const text = 'version: 1\nwarehouse: {type: duckdb}\nentities:\n  - {id: person, table: t, primaryKey: id, bogus: 1}\n';
    const first = () => parseWorkspace(text, 'ws.yaml', {});
    for (let i = 0; i < 2; i++) {
      const err = (() => {
        try {
          first();
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UserInputError);
      expect((err as UserInputError).problems[0]).toMatchObject({ path: 'entities[0].bogus', line: 4, column: 44 });
    }
  });
});
