import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/config/errors';
import { parseWorkspace } from '../../src/config/load';
import { ALIAS_WORDS, generateAlias } from '../../src/segments/alias';
import { findHealthTerm, HEALTH_TERMS } from '../../src/segments/health-terms';

// Terms across conditions, treatments, medications and specialties, each tried in the variants a
// marketer would write: plural, upper/camel case, and every separator.
const SAMPLE_TERMS = [
  'diabetes', 'cancer', 'asthma', 'arthritis', 'depression', 'anxiety', 'obesity', 'pregnancy', 'hiv', 'aids',
  'alzheimer', 'dementia', 'epilepsy', 'migraine', 'psoriasis', 'eczema', 'insomnia', 'leukemia', 'lymphoma',
  'hepatitis', 'herpes', 'schizophrenia', 'bipolar', 'autism', 'adhd', 'ptsd', 'ocd', 'copd', 'covid', 'stroke',
  'tumor', 'infertility', 'menopause', 'chemotherapy', 'dialysis', 'ivf', 'rehab', 'abortion', 'surgery',
  'transplant', 'therapy', 'vaccine', 'insulin', 'metformin', 'ozempic', 'wegovy', 'viagra', 'xanax', 'prozac',
  'opioid', 'statin', 'antidepressant', 'oncology', 'cardiology', 'dermatology', 'psychiatry', 'urology',
  'pediatrics', 'gynecology', 'neurology', 'allergy', 'ulcer', 'lupus', 'glaucoma', 'tinnitus',
] as const;

function plural(term: string): string {
  if (term.endsWith('y') && !/[aeiou]y$/.test(term)) return `${term.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(term)) return `${term}es`;
  return `${term}s`;
}

function variants(term: string): string[] {
  const camel = term.charAt(0).toUpperCase() + term.slice(1);
  return [
    term,
    term.toUpperCase(),
    camel,
    plural(term),
    `${term}-buyers`,
    `q4-${plural(term)}-lookalike`,
    `${term}_audience`,
    `Retarget ${camel} Visitors`,
    `new.${term}.leads`,
    `retarget${camel}Visitors`,
  ];
}

describe('health terms', () => {
  it(`rejects ${SAMPLE_TERMS.length} terms in every variant`, () => {
    expect(SAMPLE_TERMS.length).toBeGreaterThanOrEqual(50);
    for (const term of SAMPLE_TERMS) {
      expect(HEALTH_TERMS, term).toContain(term);
      for (const v of variants(term)) expect(findHealthTerm(v), v).toBeDefined();
    }
  });

  it('finds multi-word terms across separators and run-together words', () => {
    expect(findHealthTerm('heart-disease-risk')).toBe('heart disease');
    expect(findHealthTerm('Heart_Disease')).toBe('heart disease');
    expect(findHealthTerm('sleep apnea kit')).toBe('sleep apnea');
    expect(findHealthTerm('diabetespatients')).toBe('diabetes');
    expect(findHealthTerm('weightloss-q1')).toBe('weight loss');
    expect(findHealthTerm('diagnoses')).toBe('diagnosis');
  });

  it('accepts ordinary aliases, including words that merely contain a short term', () => {
    const ordinary = [
      'recent-buyers', 'aud-7k2p9x', 'cart-abandoners-30d', 'vip-customers', 'newsletter-subscribers',
      'standard-plan', 'raiders-fans', 'archive-readers', 'impatient-shoppers', 'devastating-deals',
      'keyboard-users', 'winter-sale', 'high-value-b2b', 'trial-users', 'churn-risk', 'app-installers',
      'mothers-day-gifts', 'sports-fans', 'q4-lookalike', 'spring-collection', 'meal-prep-fans',
    ];
    for (const alias of ordinary) expect(findHealthTerm(alias), alias).toBeUndefined();
  });

  it('never trips on a generated alias: every combination of the word lists is clean', () => {
    const { first, second, third } = ALIAS_WORDS;
    let checked = 0;
    for (const a of first)
      for (const b of second)
        for (const c of third) {
          const alias = `${a}-${b}-${c}`;
          if (findHealthTerm(alias) !== undefined) throw new Error(`generated alias ${alias} holds a health term`);
          checked++;
        }
    expect(checked).toBe(first.length * second.length * third.length);
    expect(checked).toBeGreaterThan(200_000);
  });
});

describe('generated aliases', () => {
  it('are three readable words, valid aliases, and vary', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const alias = generateAlias();
      expect(alias).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);
      seen.add(alias);
    }
    expect(seen.size).toBeGreaterThan(190);
  });

  it('avoid aliases already taken', () => {
    // A fixed source that yields the same three words first, then others.
    let call = 0;
    const random = (size: number) => (call++ < 3 ? 0 : (call % size));
    const first = `${ALIAS_WORDS.first[0]}-${ALIAS_WORDS.second[0]}-${ALIAS_WORDS.third[0]}`;
    const alias = generateAlias(new Set([first]), random);
    expect(alias).not.toBe(first);
  });
});

const workspace = (alias: string) => `
version: 1
warehouse: {type: duckdb}
entities: [{id: person, table: persons, primaryKey: id}]
segments:
  - {id: everyone, entity: person, name: Everyone, type: everyone, alias: ok-alias}
  - {id: diabetics, entity: person, name: Diabetes patients, type: everyone, alias: ${alias}}
`;

describe('workspace validation', () => {
  it('rejects an alias with a health term at segments[i].alias, naming the term', () => {
    let error: unknown;
    try {
      parseWorkspace(workspace('diabetes-patients'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserInputError);
    const problems = (error as UserInputError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('segments[1].alias');
    expect(problems[0]!.message).toContain('"diabetes"');
  });

  it('keeps health context in the name, which never leaves Outflow', () => {
    const { workspace: ws } = parseWorkspace(workspace('amber-falcon-river'));
    expect(ws.segments[1]!.name).toBe('Diabetes patients');
  });

  it('`outflow validate` exits 2 and names the path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'outflow-alias-'));
    const file = path.join(dir, 'outflow.yaml');
    writeFileSync(file, workspace('oncology-retarget'));
    const run = spawnSync(process.execPath, ['bin/outflow.js', '--config', file, 'validate'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('segments[1].alias');
    expect(run.stderr).toContain('"oncology"');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
