/**
 * Health context in audience names. Ad platforms forbid audiences named after health conditions
 * (e.g. Meta's "sensitive categories" and Google's personalized-advertising policy on health), and
 * an audience name that reveals a diagnosis is personal data about every member. The alias is the
 * only segment name that leaves Outflow, so it is checked against this list.
 *
 * The list is English and deliberately broad: conditions, symptoms, treatments and procedures,
 * medications and drug classes, medical specialties and care settings. Terms are lower-case;
 * multi-word terms use a single space. Keep it sorted within each group when adding terms.
 */

const CONDITIONS = [
  'acne', 'addiction', 'adhd', 'aids', 'alcoholism', 'allergy', 'alopecia', 'alzheimer', 'alzheimers', 'anemia',
  'aneurysm', 'angina', 'anorexia', 'anorexic', 'anxiety', 'arrhythmia', 'arthritis', 'asthma', 'asthmatic',
  'autism', 'autistic', 'bipolar', 'bulimia', 'cancer', 'cancerous', 'carcinoma', 'cardiomyopathy', 'celiac',
  'chlamydia', 'cirrhosis', 'colitis', 'concussion', 'copd', 'covid', 'crohn', 'crohns', 'dementia', 'depressed',
  'depression', 'dermatitis', 'diabetes', 'diabetic', 'dyslexia', 'eczema', 'endometriosis', 'epilepsy',
  'epileptic', 'fibromyalgia', 'glaucoma', 'gonorrhea', 'gout', 'hepatitis', 'herpes', 'hiv', 'hypertension',
  'hypothyroidism', 'hyperthyroidism', 'incontinence', 'infertility', 'infertile', 'influenza', 'insomnia',
  'leukemia', 'lupus', 'lymphoma', 'melanoma', 'menopause', 'migraine', 'miscarriage', 'multiple sclerosis',
  'obesity', 'obese', 'ocd', 'osteoporosis', 'overweight', 'parkinson', 'parkinsons', 'pneumonia', 'pregnancy',
  'pregnant', 'psoriasis', 'ptsd', 'rosacea', 'schizophrenia', 'schizophrenic', 'scoliosis', 'seizure', 'sepsis',
  'sickle cell', 'sleep apnea', 'std', 'stds', 'sti', 'stroke', 'syphilis', 'thyroid', 'tinnitus', 'tuberculosis',
  'tumor', 'tumour', 'ulcer', 'disease', 'disorder', 'illness', 'syndrome', 'infection', 'erectile dysfunction',
  'heart attack', 'heart disease', 'kidney disease', 'liver disease', 'mental health', 'eating disorder',
  'substance abuse', 'overdose', 'suicide', 'suicidal', 'self harm', 'terminally ill', 'disabled', 'disability',
  'chronic pain', 'hair loss', 'weight loss', 'bedwetting',
];

const TREATMENTS = [
  'abortion', 'acupuncture', 'amputation', 'biopsy', 'chemo', 'chemotherapy', 'colonoscopy', 'counseling',
  'counselling', 'dialysis', 'fertility', 'ivf', 'immunotherapy', 'mammogram', 'mastectomy', 'physiotherapy',
  'psychotherapy', 'radiotherapy', 'radiation therapy', 'rehab', 'rehabilitation', 'surgery', 'therapy',
  'transplant', 'vaccine', 'vaccination', 'detox', 'diagnosis', 'prescription', 'prognosis', 'treatment',
  'bariatric', 'liposuction', 'vasectomy', 'hysterectomy', 'hospice', 'palliative', 'contraception',
  'contraceptive', 'birth control', 'hormone therapy', 'hrt', 'insulin pump', 'patient', 'symptom',
];

// "prep" (HIV PrEP) is left out: as a word it is mostly "meal prep"; the drug names cover it.
const MEDICATIONS = [
  'adderall', 'antibiotic', 'antidepressant', 'antipsychotic', 'antiviral', 'benzodiazepine', 'chemotherapeutic',
  'cialis', 'insulin', 'lexapro', 'lipitor', 'metformin', 'methadone', 'morphine', 'naloxone', 'opioid', 'oxycodone',
  'ozempic', 'painkiller', 'prozac', 'ritalin', 'semaglutide', 'statin', 'steroid', 'suboxone', 'viagra',
  'wegovy', 'xanax', 'zoloft', 'fentanyl', 'mounjaro', 'tirzepatide', 'truvada', 'accutane', 'valium',
  'ambien', 'opiate', 'medication',
];

const SPECIALTIES = [
  'cardiology', 'cardiologist', 'dermatology', 'dermatologist', 'endocrinology', 'endocrinologist',
  'gastroenterology', 'gynecology', 'gynaecology', 'gynecologist', 'hematology', 'nephrology', 'neurology',
  'neurologist', 'obstetrics', 'oncology', 'oncologist', 'ophthalmology', 'orthopedics', 'pediatrics',
  'psychiatry', 'psychiatrist', 'psychology', 'psychologist', 'pulmonology', 'rheumatology', 'urology',
  'urologist', 'radiology', 'podiatry', 'fertility clinic', 'sexual health', 'std clinic', 'std testing',
  'mental illness',
];

/** Every term, lower-case, multi-word terms separated by one space. */
export const HEALTH_TERMS: readonly string[] = [...new Set([...CONDITIONS, ...TREATMENTS, ...MEDICATIONS, ...SPECIALTIES])];

/** Words split on separators users write in names: space, "-", "_", ".", "/", "+" and case changes. */
function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Singular readings of a word: `patients` -> `patient`, `allergies` -> `allergy`, `diagnoses` -> `diagnosis`. */
function singulars(word: string): string[] {
  const out = [word];
  if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) out.push(word.slice(0, -2), `${word.slice(0, -2)}is`);
  if (word.endsWith('s')) out.push(word.slice(0, -1));
  if (word.endsWith("'s")) out.push(word.slice(0, -2));
  return out;
}

// Short terms are matched as whole words only ("aids" must not match "raids", "statin" not
// "devastating"). Longer terms also match inside run-together words ("diabetespatients").
const MIN_EMBEDDED_LENGTH = 7;
// Long terms that are common inside ordinary words ("impatient", "maltreatment").
const WHOLE_WORD_ONLY = new Set(['patient', 'treatment', 'infection', 'disability', 'disabled']);

const SINGLE_WORD = new Set(HEALTH_TERMS.filter((t) => !t.includes(' ')));
// Multi-word terms first and longest first, so "heart disease" is named rather than "disease".
const MULTI_WORD = HEALTH_TERMS.filter((t) => t.includes(' '))
  .map((term) => ({ term, words: term.split(' ') }))
  .sort((a, b) => b.term.length - a.term.length);
const EMBEDDED = HEALTH_TERMS.map((term) => ({ term, compact: term.replace(/ /g, '') }))
  .filter(({ term, compact }) => compact.length >= MIN_EMBEDDED_LENGTH && !WHOLE_WORD_ONLY.has(term))
  .sort((a, b) => b.compact.length - a.compact.length);

/**
 * The health term found in `text`, or undefined. Case, plurals and the separators " ", "-",
 * "_", "." do not hide a term.
 *
 * @example
 * findHealthTerm('Diabetes_Patients') // 'diabetes'
 * findHealthTerm('amber-falcon-river') // undefined
 */
export function findHealthTerm(text: string): string | undefined {
  const ws = words(text);
  const readings = ws.map(singulars);
  for (const { term, words: tw } of MULTI_WORD) {
    for (let i = 0; i + tw.length <= ws.length; i++) {
      if (tw.every((t, k) => readings[i + k]!.includes(t))) return term;
    }
  }
  for (const rs of readings) for (const r of rs) if (SINGLE_WORD.has(r)) return r;
  const joined = ws.join('');
  for (const { term, compact } of EMBEDDED) if (joined.includes(compact)) return term;
  return undefined;
}

/** The message shown when an alias (or a sync's audienceName) holds a health term. */
export function healthTermMessage(name: string, term: string, field: 'alias' | 'audienceName' = 'alias'): string {
  const what = field === 'alias' ? 'the alias is the audience name' : 'it is the name';
  const fix = field === 'alias' ? 'Choose a neutral alias (or omit it to get a random one).' : "Choose a neutral name (or omit audienceName to send the segment's alias).";
  return `${field} "${name}" contains the health term "${term}"; ${what} ad platforms see, and they forbid health context in it. ${fix}`;
}
