/**
 * The made-up world the demo data is drawn from. Weights are relative within each list.
 * Phone area codes and postal-code prefixes are real for their city, so identifier
 * normalisation (libphonenumber, postal codes) sees plausible values.
 */

export interface City {
  country: string;
  city: string;
  weight: number;
  /** National area codes (without trunk prefix) a landline or mobile in this city may start with. */
  areaCodes: readonly string[];
  /** The city's postal-code prefix; the country's pattern fills in the rest. */
  zipPrefix: string;
}

export const CITIES: readonly City[] = [
  { country: 'US', city: 'New York', weight: 9, areaCodes: ['212', '646', '718', '917'], zipPrefix: '100' },
  { country: 'US', city: 'Los Angeles', weight: 6, areaCodes: ['213', '310', '323'], zipPrefix: '900' },
  { country: 'US', city: 'Chicago', weight: 5, areaCodes: ['312', '773'], zipPrefix: '606' },
  { country: 'US', city: 'San Francisco', weight: 4, areaCodes: ['415', '628'], zipPrefix: '941' },
  { country: 'US', city: 'Austin', weight: 3, areaCodes: ['512', '737'], zipPrefix: '787' },
  { country: 'US', city: 'Seattle', weight: 3, areaCodes: ['206'], zipPrefix: '981' },
  { country: 'US', city: 'Boston', weight: 3, areaCodes: ['617', '857'], zipPrefix: '021' },
  { country: 'US', city: 'Miami', weight: 3, areaCodes: ['305', '786'], zipPrefix: '331' },
  { country: 'US', city: 'Denver', weight: 2, areaCodes: ['303', '720'], zipPrefix: '802' },
  { country: 'US', city: 'Atlanta', weight: 2, areaCodes: ['404', '678'], zipPrefix: '303' },
  { country: 'GB', city: 'London', weight: 7, areaCodes: ['203', '207', '208'], zipPrefix: 'SW1A' },
  { country: 'GB', city: 'Manchester', weight: 2, areaCodes: ['161'], zipPrefix: 'M1' },
  { country: 'GB', city: 'Edinburgh', weight: 1, areaCodes: ['131'], zipPrefix: 'EH1' },
  { country: 'GB', city: 'Birmingham', weight: 2, areaCodes: ['121'], zipPrefix: 'B1' },
  { country: 'DE', city: 'Berlin', weight: 4, areaCodes: ['30'], zipPrefix: '10' },
  { country: 'DE', city: 'Munich', weight: 3, areaCodes: ['89'], zipPrefix: '80' },
  { country: 'DE', city: 'Hamburg', weight: 3, areaCodes: ['40'], zipPrefix: '20' },
  { country: 'FR', city: 'Paris', weight: 5, areaCodes: ['1'], zipPrefix: '750' },
  { country: 'FR', city: 'Lyon', weight: 2, areaCodes: ['4'], zipPrefix: '690' },
  { country: 'FR', city: 'Marseille', weight: 1, areaCodes: ['4'], zipPrefix: '130' },
  { country: 'CA', city: 'Toronto', weight: 4, areaCodes: ['416', '647'], zipPrefix: 'M5V' },
  { country: 'CA', city: 'Vancouver', weight: 2, areaCodes: ['604', '778'], zipPrefix: 'V6B' },
  { country: 'CA', city: 'Montreal', weight: 2, areaCodes: ['514', '438'], zipPrefix: 'H2X' },
  { country: 'AU', city: 'Sydney', weight: 3, areaCodes: ['2'], zipPrefix: '20' },
  { country: 'AU', city: 'Melbourne', weight: 2, areaCodes: ['3'], zipPrefix: '30' },
  { country: 'NL', city: 'Amsterdam', weight: 3, areaCodes: ['20'], zipPrefix: '10' },
  { country: 'ES', city: 'Madrid', weight: 2, areaCodes: ['91'], zipPrefix: '280' },
  { country: 'ES', city: 'Barcelona', weight: 2, areaCodes: ['93'], zipPrefix: '080' },
  { country: 'BR', city: 'Sao Paulo', weight: 3, areaCodes: ['112', '113', '114', '115'], zipPrefix: '01' },
  { country: 'IN', city: 'Mumbai', weight: 2, areaCodes: ['22'], zipPrefix: '4000' },
  { country: 'IN', city: 'Bengaluru', weight: 2, areaCodes: ['80'], zipPrefix: '5600' },
];

export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Amelia', 'Oliver', 'Ava', 'Elijah', 'Sophia', 'James',
  'Isabella', 'William', 'Mia', 'Benjamin', 'Charlotte', 'Lucas', 'Harper', 'Henry', 'Evelyn', 'Theodore',
  'Luna', 'Mateo', 'Camila', 'Leo', 'Gianna', 'Jack', 'Elena', 'Levi', 'Sofia', 'Sebastian',
  'Aria', 'Daniel', 'Chloe', 'Wei', 'Priya', 'Arjun', 'Yuki', 'Hana', 'Lena', 'Jonas',
  'Lea', 'Lukas', 'Chloé', 'Hugo', 'Inès', 'Louis', 'Zoë', 'Sven', 'Ana', 'João',
  "Siobhán", 'Mohammed', 'Fatima', 'Omar', 'Aisha', 'Kofi', 'Amara', 'Diego', 'Lucía', 'Mei',
] as const;

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Young', 'Allen',
  'Müller', 'Schmidt', 'Schneider', 'Fischer', 'Dubois', 'Lefèvre', 'Moreau', 'Rossi', 'Silva', 'Santos',
  'Patel', 'Sharma', 'Singh', 'Kumar', 'Chen', 'Wang', 'Li', 'Zhang', 'Tanaka', 'Sato',
  "O'Brien", 'McDonald', 'van der Berg', 'de Jong', 'Nguyen', 'Kim', 'Park', 'Okafor', 'Mensah', 'Kowalski',
] as const;

/** Mailbox providers, each repeated by its weight. */
export const EMAIL_DOMAINS = weighted([
  ['gmail.com', 36],
  ['yahoo.com', 9],
  ['outlook.com', 9],
  ['hotmail.com', 6],
  ['icloud.com', 8],
  ['aol.com', 2],
  ['proton.me', 2],
  ['gmx.de', 3],
  ['orange.fr', 2],
  ['example.com', 3],
  ['acme.io', 4],
  ['globex.com', 4],
  ['initech.co', 3],
  ['umbrella.org', 2],
  ['hooli.com', 3],
  ['piedpiper.net', 2],
]);

export const PLANS = weighted([
  ['free', 55],
  ['starter', 25],
  ['pro', 15],
  ['enterprise', 5],
]);

export const INDUSTRIES = ['software', 'retail', 'finance', 'healthcare', 'education', 'manufacturing', 'media', 'travel'] as const;
export const COMPANY_WORDS = [
  'Blue', 'Harbor', 'North', 'Summit', 'Bright', 'Iron', 'Cedar', 'Silver', 'Pine', 'Atlas',
  'Nova', 'River', 'Stone', 'Orbit', 'Maple', 'Vertex', 'Lumen', 'Falcon', 'Granite', 'Echo',
] as const;
export const COMPANY_SUFFIXES = ['Labs', 'Inc', 'GmbH', 'Ltd', 'Group', 'Systems', 'Works', 'Co', 'Partners', 'SA'] as const;

export const PAGES = weighted([
  ['/', 20],
  ['/pricing', 8],
  ['/products', 10],
  ['/products/', 25],
  ['/blog/', 10],
  ['/docs', 5],
  ['/cart', 6],
  ['/checkout', 4],
  ['/about', 2],
  ['/careers', 1],
  ['/login', 6],
  ['/account', 3],
]);

export const CATEGORIES = ['apparel', 'electronics', 'home', 'beauty', 'sports', 'books', 'toys', 'garden'] as const;

export const UTM_SOURCES = ['google', 'facebook', 'newsletter', 'linkedin', 'tiktok'] as const;

/** Expands `[value, weight]` pairs into a list where each value appears `weight` times. */
export function weighted<T>(pairs: readonly (readonly [T, number])[]): T[] {
  return pairs.flatMap(([value, weight]) => Array.from({ length: weight }, () => value));
}
